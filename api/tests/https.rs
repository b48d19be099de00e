//! HTTPS in the binary: the app served with a certificate from PEM files,
//! `Strict-Transport-Security` on its answers, a renewed certificate picked
//! up by new connections without a restart (and a broken renewal ignored),
//! and the port-80 listener redirecting to `app.public_url`; and
//! certificates by ACME from Debian's pebble.

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

/// A child process killed when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts TCP on `port` (two minutes at most).
async fn listening(port: u16, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} never listened"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Automatic certificates against Debian's pebble, a real ACME server (with
/// pebble-challtestsrv as its DNS, answering 127.0.0.1 for every name):
/// Confide starts with a stand-in certificate, opens an account, answers
/// the HTTP-01 challenge on its port-80 listener, and serves the issued
/// certificate — which chains to pebble's root — without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_by_acme_from_pebble() {
    let dir = std::env::temp_dir().join(format!("confide-acme-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    // Pebble's own HTTPS certificate, which Confide is told to trust.
    let pebble_tls =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    std::fs::write(dir.join("pebble.pem"), pebble_tls.cert.pem()).unwrap();
    std::fs::write(
        dir.join("pebble.key"),
        pebble_tls.signing_key.serialize_pem(),
    )
    .unwrap();
    let (acme_port, management_port, dns_port, challenge_port) =
        (free_port(), free_port(), free_port(), free_port());
    let pebble_config = serde_json::json!({"pebble": {
        "listenAddress": format!("127.0.0.1:{acme_port}"),
        "managementListenAddress": format!("127.0.0.1:{management_port}"),
        "certificate": dir.join("pebble.pem"),
        "privateKey": dir.join("pebble.key"),
        "httpPort": challenge_port,
        "tlsPort": free_port(),
        "ocspResponderURL": "",
        "externalAccountBindingRequired": false,
    }});
    std::fs::write(dir.join("pebble.json"), pebble_config.to_string()).unwrap();
    let dns = Child(
        std::process::Command::new("pebble-challtestsrv")
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .args(["-dns01", &format!("127.0.0.1:{dns_port}")])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-management", &format!("127.0.0.1:{}", free_port())])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("pebble-challtestsrv (Debian's pebble package) runs"),
    );
    let pebble = Child(
        std::process::Command::new("pebble")
            .arg("-config")
            .arg(dir.join("pebble.json"))
            .args(["-dnsserver", &format!("127.0.0.1:{dns_port}")])
            // No random wait before validating, no rejected nonces: the
            // test depends on the protocol, not on pebble's dice.
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .stdout(std::fs::File::create(dir.join("pebble.log")).unwrap())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("pebble (Debian's pebble package) runs"),
    );
    listening(acme_port, "pebble").await;
    // Its management listener (the roots) opens on its own, maybe later.
    listening(management_port, "pebble's management API").await;

    let api = TestApi::start_with(Backend::Sqlite, |config| {
        config.http.acme = Some(api::acme::AcmeConfig {
            domains: vec!["video.clinic.test".into()],
            contact: vec!["mailto:it@clinic.test".into()],
            directory: format!("https://127.0.0.1:{acme_port}/dir"),
            directory_ca_file: Some(dir.join("pebble.pem")),
            renew_days_before: 30,
        });
        config.http.redirect_listen = Some(format!("127.0.0.1:{challenge_port}").parse().unwrap());
        config.app.public_url = "https://video.clinic.test".into();
    })
    .await;
    let running = api.running.as_ref().unwrap();
    assert!(running.https);
    let https_port = running.http_addr.port();

    // Pebble's root, which signs what it issues (made fresh at its start).
    let root = trusting(&pebble_tls.cert.pem())
        .get(format!("https://127.0.0.1:{management_port}/roots/0"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(root.as_bytes()).unwrap())
        .tls_built_in_root_certs(false)
        .resolve(
            "video.clinic.test",
            std::net::SocketAddr::from(([127, 0, 0, 1], https_port)),
        )
        .build()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let page = loop {
        match client
            .get(format!("https://video.clinic.test:{https_port}/healthz"))
            .send()
            .await
        {
            Ok(page) => break page,
            Err(err) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "no certificate from pebble: {err:?}\npebble: {}",
                    std::fs::read_to_string(dir.join("pebble.log")).unwrap_or_default()
                );
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    };
    assert_eq!(page.status(), StatusCode::OK);
    let files = api::acme::files(&api.data_dir);
    let account = std::fs::read_dir(files.cert_file.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().contains("account-"))
        .expect("the ACME account is kept");
    let account = std::fs::metadata(account).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        account.permissions().mode() & 0o777,
        0o600,
        "the account key is private"
    );
    // The challenge path answers only tokens it was given; the rest of
    // port 80 still redirects.
    let unknown = reqwest::get(format!(
        "http://127.0.0.1:{challenge_port}/.well-known/acme-challenge/nope"
    ))
    .await
    .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    api.stop().await;
    drop((pebble, dns));
    let _ = std::fs::remove_dir_all(&dir);
}
