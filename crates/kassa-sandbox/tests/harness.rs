//! The shared harness over real loopback HTTP: faults are injected as armed, the log shows
//! what the emulator saw, and a dropped connection after commit keeps the change.

use std::io::{Read, Write};
use std::net::TcpStream;

use axum::Router;
use axum::routing::post;
use kassa_sandbox::harness::{Fault, FaultRule, Harness, serve};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A one-route emulator: `POST /count` records a state change and answers `{"ok":true}`.
async fn start() -> (String, Harness, oneshot::Sender<()>) {
    let harness = Harness::new("test");
    let recorder = harness.clone();
    let router = Router::new().route(
        "/count",
        post(move || {
            let recorder = recorder.clone();
            async move {
                recorder.record("counted", json!({}));
                axum::Json(json!({"ok": true}))
            }
        }),
    );
    let router = harness.wrap(router);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel();
    tokio::spawn(serve(listener, router, stopped));
    (origin, harness, stop)
}

fn arm(harness: &Harness, fault: Fault) {
    harness.add_fault(FaultRule {
        method: Some("POST".to_owned()),
        path: "/count".to_owned(),
        fault,
        times: Some(1),
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_does_what_it_says() {
    let (origin, harness, _stop) = start().await;
    let client = reqwest::Client::new();
    let url = format!("{origin}/count");

    let answer = client.post(&url).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), r#"{"ok":true}"#);

    arm(&harness, Fault::TooManyRequests { retry_after_secs: 7 });
    let answer = client.post(&url).send().await.unwrap();
    assert_eq!(answer.status(), 429);
    assert_eq!(answer.headers()["retry-after"], "7");

    arm(
        &harness,
        Fault::Status {
            status: 503,
            after_commit: false,
        },
    );
    assert_eq!(client.post(&url).send().await.unwrap().status(), 503);
    arm(
        &harness,
        Fault::Status {
            status: 500,
            after_commit: true,
        },
    );
    assert_eq!(client.post(&url).send().await.unwrap().status(), 500);

    arm(
        &harness,
        Fault::Body {
            text: "<html>bad gateway</html>".to_owned(),
        },
    );
    let answer = client.post(&url).send().await.unwrap();
    assert_eq!(answer.text().await.unwrap(), "<html>bad gateway</html>");

    arm(&harness, Fault::Truncate);
    let answer = client.post(&url).send().await.unwrap();
    assert_eq!(answer.text().await.unwrap(), r#"{"ok""#);

    arm(&harness, Fault::Drop { after_commit: true });
    let error = client.post(&url).send().await.unwrap_err();
    assert!(!error.is_connect(), "the request was sent: {error}");

    arm(&harness, Fault::Drop { after_commit: false });
    client.post(&url).send().await.unwrap_err();

    // Committed: the plain call, the 500 after commit, the body and truncation faults
    // (which replace only the answer), the drop after commit. Not the 429, the 503 or the
    // drop before commit.
    assert_eq!(harness.changes("counted").len(), 5);
    let faults = harness.log().iter().filter(|entry| entry.kind == "fault").count();
    assert_eq!(faults, 7);
    assert!(
        harness.faults().is_empty(),
        "every rule was armed for one request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_the_log_are_reachable_over_http() {
    let (origin, harness, _stop) = start().await;
    let client = reqwest::Client::new();
    let rule = json!({"method": "POST", "path": "/count", "fault": {"kind": "status", "status": 502}});
    let armed = client
        .post(format!("{origin}/_sandbox/faults"))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(armed.status(), 204);
    assert_eq!(
        client
            .post(format!("{origin}/count"))
            .send()
            .await
            .unwrap()
            .status(),
        502
    );
    assert_eq!(
        client
            .post(format!("{origin}/count"))
            .send()
            .await
            .unwrap()
            .status(),
        502
    );
    let cleared = client
        .delete(format!("{origin}/_sandbox/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    assert_eq!(
        client
            .post(format!("{origin}/count"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let log: serde_json::Value = client
        .get(format!("{origin}/_sandbox/log"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let requests: Vec<_> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["kind"] == "request")
        .map(|entry| entry["status"].as_u64().unwrap())
        .collect();
    assert_eq!(requests, [502, 502, 200]);
    assert_eq!(harness.changes("counted").len(), 1);
}

#[test]
fn a_dropped_connection_sends_no_bytes_at_all() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (origin, harness, _stop) = runtime.block_on(start());
    arm(&harness, Fault::Drop { after_commit: true });
    let address = origin.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .write_all(b"POST /count HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    // A closed connection reads as end of file or a reset; either way, no bytes.
    let _ = stream.read_to_end(&mut answer);
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    assert_eq!(harness.changes("counted").len(), 1);
}
