//! A short load against a real Confide server (started here, on loopback):
//! every call's tracks arrive, nothing is lost, latency is measured.

use std::time::Duration;

use clap::Parser;
use loadtest::options::Options;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_calls_for_five_seconds() {
    let data_dir =
        std::env::temp_dir().join(format!("confide-loadtest-{:016x}", rand::random::<u64>()));
    let mut config = api::config::Config::default();
    config.http.listen = "127.0.0.1:0".parse().unwrap();
    config.media.listen = "127.0.0.1:0".parse().unwrap();
    config.data_dir = data_dir.clone();
    config.app.production = true;
    let running = api::server::start(config).await.expect("server starts");
    let c = &running.credentials;
    let options = Options::parse_from([
        "confide-loadtest",
        "--server",
        &format!("http://{}", running.http_addr),
        "--account-sid",
        &c.account_sid,
        "--api-key-sid",
        &c.api_key_sid,
        "--api-key-secret",
        &c.api_key_secret,
        "--rooms",
        "5",
        "--duration",
        "5s",
        "--ramp",
        "50",
        "--quiet",
    ]);
    assert_eq!(options.check(), Ok(()));
    let outcome = tokio::time::timeout(Duration::from_secs(60), loadtest::run::run(options))
        .await
        .expect("the run ends")
        .expect("the run works");
    let w = &outcome.window;
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    assert_eq!(outcome.tracks_published, 20);
    assert_eq!(
        outcome.tracks_received, 20,
        "each of 10 participants gets the other's audio and video"
    );
    assert!(w.packets_received > 1000, "{w:?}");
    assert_eq!(w.loss_percent, 0.0, "nothing lost on loopback: {w:?}");
    let p50 = w.latency_p50_ms.expect("latency measured");
    assert!(p50 > 0.0 && p50 < 1000.0, "{p50}");
    assert!(w.latency_p99_ms.unwrap() >= p50);
    assert!(outcome.join_p50_ms.is_some_and(|j| j > 0));
    assert!(w.sfu_cpu_seconds.is_some(), "read from /metrics");
    assert!(
        w.sfu_user_us_per_packet.is_none() && w.sfu_sched_us_per_packet.is_none(),
        "/metrics gives user + system only: {w:?}"
    );
    assert!(
        w.generator_user_us_per_packet.is_some() && w.generator_sched_us_per_packet.is_some(),
        "the harness reads its own /proc: {w:?}"
    );
    assert!(outcome.series.len() >= 5, "a point a second");
    let page = loadtest::report::html(&outcome);
    assert!(page.contains("<svg"));
    running.stop().await;
    let _ = std::fs::remove_dir_all(data_dir);
}

/// Bad arguments and a server that is not there: a clear message and a
/// non-zero exit, quickly.
#[test]
fn bad_arguments_and_no_server_end_with_a_message() {
    let run = |args: &[&str]| {
        let started = std::time::Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_confide-loadtest"))
            .args(args)
            .output()
            .expect("the harness runs");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{args:?} took too long"
        );
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["--rooms", "0"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--rooms must be"), "{err}");
    let (code, err) = run(&["--fps", "many"]);
    assert_eq!(code, Some(2), "{err}");
    let keys = [
        "--account-sid",
        "AC00000000000000000000000000000000",
        "--api-key-sid",
        "SK00000000000000000000000000000000",
        "--api-key-secret",
        "0123456789abcdef0123",
    ];
    let mut args = vec!["--server", "http://127.0.0.1:1", "--quiet"];
    args.extend(keys);
    let (code, err) = run(&args);
    assert_eq!(code, Some(1));
    assert!(err.contains("cannot reach the server"), "{err}");
    let (code, err) = run(&[
        "--server",
        "http://127.0.0.1:1",
        "--api-key-file",
        "/nonexistent/api-key.toml",
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("API key file"), "{err}");
}
