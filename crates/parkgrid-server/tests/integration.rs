//! The health and metrics endpoints on a real loopback socket (an ephemeral port, stopped when
//! the test ends): the JSON and the Prometheus text carry the counts `serve` set.

use std::io::{Read as _, Write as _};
use std::sync::Arc;

use parkgrid_server::{Device, Ingest, Listener, Status};

fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut s = std::net::TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("sends");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("reads");
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    (head.to_string(), body.to_string())
}

#[test]
fn health_and_metrics_report_the_counts() {
    let status = Arc::new(Status::new("yanqing"));
    status.set_ingest(Ingest {
        messages: 7568,
        points: 10920,
        meter_readings: 1352,
        quarantined: 2,
        commits: 30,
        connection_errors: 0,
        purged: 0,
    });
    status.set_device(Device {
        id: "bess_pcs".into(),
        polls: 73,
        good_polls: 72,
        bad_values: 1,
        answering: true,
    });
    let l = Listener::start("127.0.0.1:0".parse().expect("addr"), status, None).expect("listens");
    let (head, body) = get(l.addr(), "/health");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(json["status"], "ok");
    assert_eq!(json["park_id"], "yanqing");
    assert_eq!(json["ingest"]["points"], 10920);
    assert_eq!(json["devices"][0]["id"], "bess_pcs");
    let (head, body) = get(l.addr(), "/metrics");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    assert!(
        body.contains("parkgrid_ingest_points_total{park=\"yanqing\"} 10920"),
        "{body}"
    );
    assert!(
        body.contains("parkgrid_modbus_good_polls_total{park=\"yanqing\",device=\"bess_pcs\"} 72"),
        "{body}"
    );
    let (head, body) = get(l.addr(), "/nothing");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(json["error"], "not_found", "{body}");
    assert!(
        head.contains("content-security-policy: default-src 'none'"),
        "{head}"
    );
}
