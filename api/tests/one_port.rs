//! The `confide` binary serves two calls with one UDP socket for all media,
//! as `ss -uapn` reports it.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::Participant;
use testkit::peer::RtpCodecKind;

struct Server {
    child: Child,
    data_dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn confide(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_confide"));
    for (key, _) in std::env::vars() {
        if key.starts_with("CONFIDE_") {
            command.env_remove(key);
        }
    }
    command.arg("--data-dir").arg(data_dir);
    command
}

fn mint(data_dir: &std::path::Path, room: &str, identity: &str) -> String {
    let out = confide(data_dir)
        .args(["token", "--room", room, "--identity", identity])
        .output()
        .expect("confide token runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_calls_share_one_udp_port() {
    let data_dir = std::env::temp_dir().join(format!("confide-one-port-{}", rand::random::<u64>()));
    let mut child = confide(&data_dir)
        .args([
            "--http-listen",
            "127.0.0.1:0",
            "--media-listen",
            "127.0.0.1:0",
            "serve",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("confide starts");
    let stdout = child.stdout.take().unwrap();
    let server = Server { child, data_dir };
    // Demo account lines come first on a fresh data directory.
    let line = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 || line.starts_with("Confide is running") {
                return Ok::<_, std::io::Error>(line);
            }
        }
    })
    .await
    .unwrap()
    .unwrap();
    let http = line
        .trim()
        .strip_prefix("Confide is running on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let ws = format!("ws://{http}/rtc");

    let mut people = Vec::new();
    for (room, identity) in [("one", "a1"), ("one", "a2"), ("two", "b1"), ("two", "b2")] {
        let token = mint(&server.data_dir, room, identity);
        people.push(Participant::join(&ws, &token, identity).await.unwrap());
    }
    let sends = people.iter().map(|p| p.send_media(1, 60));
    for result in futures_util::future::join_all(sends).await {
        result.unwrap();
    }
    for (at, from) in [(0, "a2"), (1, "a1"), (2, "b2"), (3, "b1")] {
        people[at]
            .collect_media(|got| {
                got.iter()
                    .filter(|(k, t)| *k == RtpCodecKind::Audio && t.starts_with(from))
                    .count()
                    >= 5
            })
            .await
            .unwrap();
    }

    let ss = Command::new("ss")
        .arg("-uapn")
        .output()
        .expect("ss (iproute2) is installed");
    let table = String::from_utf8_lossy(&ss.stdout);
    let pid = format!("pid={},", server.child.id());
    let sockets: Vec<&str> = table.lines().filter(|l| l.contains(&pid)).collect();
    assert_eq!(
        sockets.len(),
        1,
        "confide's UDP sockets during two calls:\n{}",
        sockets.join("\n")
    );
    println!("one UDP socket for two calls: {}", sockets[0]);

    for p in people {
        p.leave().await;
    }
    drop(server);
}
