//! Access tokens interoperate with Twilio's own helper library
//! (twilio-python, installed by `scripts/test.sh`): its tokens join our
//! rooms, and ours verify with it.

mod common;

use std::process::Command;

use common::start_server;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

fn python(args: &[&str]) -> String {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/interop/twilio_tokens.py"
    );
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "twilio-python failed (scripts/test.sh installs it: pip install twilio): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn a_token_minted_by_twilio_python_joins_a_room() {
    let (running, data_dir) = start_server(10).await;
    let creds = &running.credentials;
    let token = python(&[
        "mint",
        &creds.account_sid,
        &creds.api_key_sid,
        &creds.api_key_secret,
        "alice",
        "interop",
    ]);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/rtc", running.http_addr))
        .await
        .unwrap();
    ws.send(Message::Text(
        json!({"type": "join", "version": 1, "token": token})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let reply = loop {
        match ws.next().await.expect("an answer") {
            Ok(Message::Text(text)) => break serde_json::from_str::<Value>(&text).unwrap(),
            Ok(_) => continue,
            Err(err) => panic!("{err}"),
        }
    };
    assert_eq!(reply["type"], "joined", "{reply}");
    assert_eq!(reply["room"]["name"], "interop");
    assert_eq!(reply["participant"]["identity"], "alice");
    // The same library's token signed with another secret is refused.
    let forged = python(&[
        "mint",
        &creds.account_sid,
        &creds.api_key_sid,
        "not-the-secret-0123456789",
        "mallory",
        "interop",
    ]);
    let verifier =
        signaling::token::TokenVerifier::new(creds.account_sid.clone(), vec![creds.api_key()]);
    assert_eq!(
        verifier
            .verify(&forged, signaling::token::unix_now())
            .unwrap_err()
            .code(),
        20107
    );
    let _ = ws.close(None).await;
    running.stop().await;
    let _ = std::fs::remove_dir_all(data_dir);
}

#[tokio::test]
async fn our_tokens_verify_with_twilio_python() {
    let secret = "an-api-key-secret-of-thirty-two-chars";
    let key = signaling::token::ApiKey {
        sid: "SK0123456789abcdef0123456789abcdef".into(),
        secret: secret.into(),
    };
    let now = signaling::token::unix_now();
    let ours = signaling::token::mint(
        "AC0123456789abcdef0123456789abcdef",
        &key,
        "1-patient@example.com",
        Some("apt-1-abc"),
        7200,
        now,
    );
    let decoded: Value = serde_json::from_str(&python(&["decode", &ours, secret])).unwrap();
    assert_eq!(decoded["headers"]["cty"], "twilio-fpa;v=1");
    assert_eq!(decoded["headers"]["typ"], "JWT");
    assert_eq!(decoded["payload"]["iss"], key.sid.as_str());
    assert_eq!(
        decoded["payload"]["sub"],
        "AC0123456789abcdef0123456789abcdef"
    );
    assert_eq!(
        decoded["payload"]["grants"]["identity"],
        "1-patient@example.com"
    );
    assert_eq!(decoded["payload"]["grants"]["video"]["room"], "apt-1-abc");
    assert_eq!(decoded["payload"]["exp"], now + 7200);
    // And twilio-python refuses it under another secret.
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/interop/twilio_tokens.py"
    );
    let status = Command::new("python3")
        .args([script, "decode", &ours, "some-other-secret-entirely"])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success());
}
