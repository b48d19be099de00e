//! The `confide` binary serves its calls with one UDP socket per media
//! worker, whatever the number of peers (as `ss -uapn` reports it), and
//! places rooms on its workers by load (as `/metrics` reports it).

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
async fn four_calls_on_two_workers_use_two_udp_ports() {
    let data_dir = std::env::temp_dir().join(format!("confide-workers-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let config = data_dir.join("confide.toml");
    std::fs::write(&config, "[media]\nworkers = 2\n").unwrap();
    let mut child = confide(&data_dir)
        .arg("--config")
        .arg(&config)
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
    let calls = [
        ("one", "a1"),
        ("one", "a2"),
        ("two", "b1"),
        ("two", "b2"),
        ("three", "c1"),
        ("three", "c2"),
        ("four", "d1"),
        ("four", "d2"),
    ];
    for (room, identity) in calls {
        let token = mint(&server.data_dir, room, identity);
        people.push(Participant::join(&ws, &token, identity).await.unwrap());
    }
    let sends = people.iter().map(|p| p.send_media(1, 60));
    for result in futures_util::future::join_all(sends).await {
        result.unwrap();
    }
    let heard = [
        (0, "a2"),
        (1, "a1"),
        (2, "b2"),
        (3, "b1"),
        (4, "c2"),
        (5, "c1"),
        (6, "d2"),
        (7, "d1"),
    ];
    for (at, from) in heard {
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
        2,
        "confide's UDP sockets during four calls on two workers:\n{}",
        sockets.join("\n")
    );
    println!("two UDP sockets for four calls:\n{}", sockets.join("\n"));

    // Rooms are placed by load: two calls on each worker (besides the
    // demo appointments' rooms, registered empty at start), and each
    // worker's socket carried media.
    let metrics = reqwest::get(format!("http://{http}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in\n{metrics}"))
    };
    for worker in 0..2 {
        let label = format!("{{worker=\"{worker}\"}}");
        assert!(
            value(&format!("confide_sfu_worker_rooms{label}")) >= 2,
            "{metrics}"
        );
        assert_eq!(
            value(&format!("confide_sfu_worker_participants{label}")),
            4,
            "{metrics}"
        );
        assert!(value(&format!("confide_sfu_worker_datagrams_in_total{label}")) > 0);
    }

    for p in people {
        p.leave().await;
    }
    drop(server);
}
