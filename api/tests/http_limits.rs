//! Clients that open connections and never finish their headers cannot
//! starve the server: each is cut off after the header timeout, and the
//! connection cap keeps the process below its file limit meanwhile.

mod http_support;

use std::time::Duration;

use http_support::TestApi;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_and_others_are_served() {
    let api = TestApi::start_with(api::db::Backend::Sqlite, |c| {
        c.http.header_timeout_secs = 1;
        c.http.max_connections = 16;
    })
    .await;
    let addr = api.running.as_ref().unwrap().http_addr;
    // Twice the cap of connections that start a request and stall.
    let mut stalled = Vec::new();
    for _ in 0..32 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: confide\r\nX-Slow: ")
            .await
            .unwrap();
        stalled.push(stream);
    }
    // A real client is still served (the stalled ones time out and free
    // their slots); generous deadline, no assumption about speed.
    let served = tokio::time::timeout(Duration::from_secs(60), async {
        api.http
            .get(format!("{}/healthz", api.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    })
    .await
    .expect("a normal request is served despite the stalled connections");
    assert_eq!(served, "ok");
    // Every stalled connection was closed by the server: reading ends.
    for mut stream in stalled {
        let mut buf = [0u8; 1024];
        let ended = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => continue, // a 408 or similar before the close
                }
            }
        })
        .await;
        assert!(ended.is_ok(), "a stalled connection was left open");
    }
    api.stop().await;
}
