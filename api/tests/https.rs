//! HTTPS in the binary: the app served with a certificate from PEM files,
//! `Strict-Transport-Security` on its answers, a renewed certificate picked
//! up by new connections without a restart (and a broken renewal ignored),
//! and the port-80 listener redirecting to `app.public_url`.

mod http_support;

use std::path::Path;

use api::db::Backend;
use api::tls::TlsFiles;
use http_support::TestApi;
use reqwest::StatusCode;

/// A self-signed certificate for `localhost`: (certificate PEM, key PEM).
fn certificate() -> (String, String) {
    let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    (issued.cert.pem(), issued.signing_key.serialize_pem())
}

/// A new client (no pooled connection) that trusts only `cert`.
fn trusting(cert: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.as_bytes()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn write(dir: &Path, (cert, key): &(String, String)) {
    // The key first: for a moment the pair does not match, as during a
    // real renewal, and the server must keep serving the old one.
    std::fs::write(dir.join("key.pem"), key).unwrap();
    std::fs::write(dir.join("cert.pem"), cert).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_from_certificate_files_renewed_without_a_restart() {
    let dir = std::env::temp_dir().join(format!("confide-tls-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let first = certificate();
    write(&dir, &first);
    let files = TlsFiles {
        cert_file: dir.join("cert.pem"),
        key_file: dir.join("key.pem"),
    };
    let api = TestApi::start_with(Backend::Sqlite, |config| {
        config.http.tls = Some(files.clone());
        config.http.redirect_listen = Some("127.0.0.1:0".parse().unwrap());
        config.app.public_url = "https://video.clinic.test".into();
    })
    .await;
    let running = api.running.as_ref().unwrap();
    assert!(running.https);
    let https = format!("https://localhost:{}", running.http_addr.port());

    let page = trusting(&first.0)
        .get(format!("{https}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    // Plain HTTP on the HTTPS port gets no page.
    let plain = reqwest::get(format!("http://{}/healthz", running.http_addr)).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());

    // Renewed: new connections get the new certificate.
    let second = certificate();
    write(&dir, &second);
    let renewed = trusting(&second.0)
        .get(format!("{https}/healthz"))
        .send()
        .await;
    assert_eq!(
        renewed.expect("the renewed certificate").status(),
        StatusCode::OK
    );
    assert!(
        trusting(&first.0)
            .get(format!("{https}/healthz"))
            .send()
            .await
            .is_err(),
        "the old certificate is no longer served"
    );
    // A broken renewal is ignored: the last good certificate stays.
    std::fs::write(dir.join("cert.pem"), "not a certificate").unwrap();
    let kept = trusting(&second.0)
        .get(format!("{https}/healthz"))
        .send()
        .await;
    assert_eq!(
        kept.expect("still the good certificate").status(),
        StatusCode::OK
    );

    // Port 80: every request goes to the same path on public_url.
    let redirect = running.redirect_addr.expect("the redirect listener");
    let moved = trusting(&second.0)
        .get(format!(
            "http://{redirect}/video-session/apt-1-x?from=whatsapp"
        ))
        .header("Host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        moved.headers()["location"],
        "https://video.clinic.test/video-session/apt-1-x?from=whatsapp"
    );
    api.stop().await;

    // `confide check` reads the certificate: fine while valid, a problem
    // once it no longer loads.
    write(&dir, &second);
    let found = api::check::certificate_finding(&files);
    assert_eq!(found.level, api::check::Level::Fine, "{found}");
    std::fs::write(dir.join("key.pem"), certificate().1).unwrap();
    let found = api::check::certificate_finding(&files);
    assert_eq!(found.level, api::check::Level::Problem, "{found}");
    assert!(found.detail.contains("does not belong"), "{found}");
    let _ = std::fs::remove_dir_all(&dir);
}
