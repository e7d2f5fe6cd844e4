//! The MQTT ingester against a real broker (the machine's Mosquitto, named by the environment
//! variable `PARKGRID_TEST_MQTT` as `host:port`, which `.ci/run` sets) into the SQLite store
//! (feature `sqlite`). Messages published while the ingester is away, then delivered to a client
//! of its session that never acknowledges them (a crash before the commit), are delivered again
//! and stored exactly once; undecodable ones are quarantined with their reason, and so is one
//! larger than the ingester's limit (which, refused by the client, would cost the connection
//! and come again forever); a second run finds nothing left to acknowledge.
#![cfg(feature = "sqlite")]

use std::time::{Duration, Instant};

use parkgrid_ingest::mqtt::{Config, run};
use parkgrid_store::PointStore;
use parkgrid_store::sqlite::Store;
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

fn broker() -> (String, u16) {
    let addr = std::env::var("PARKGRID_TEST_MQTT")
        .unwrap_or_else(|_| panic!("set PARKGRID_TEST_MQTT=host:port (e.g. 127.0.0.1:1883)"));
    let (host, port) = addr.rsplit_once(':').expect("host:port");
    (host.to_string(), port.parse().expect("port"))
}

/// Drives `connection` until `until` says stop or `limit` passes; returns the publishes seen.
fn pump(
    connection: &mut rumqttc::Connection,
    limit: Duration,
    mut until: impl FnMut(usize) -> bool,
) -> usize {
    let start = Instant::now();
    let mut seen = 0;
    while start.elapsed() < limit && !until(seen) {
        if let Ok(Ok(Event::Incoming(Packet::Publish(_)))) =
            connection.recv_timeout(Duration::from_millis(100))
        {
            seen += 1;
        }
    }
    seen
}

#[test]
fn messages_are_stored_once_and_acknowledged_after_the_commit() {
    let (host, port) = broker();
    let tag = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );
    let prefix = format!("parkgrid/test-{tag}");
    let client_id = format!("parkgrid-ingest-{tag}");
    let options = |id: &str, clean: bool| {
        let mut o = MqttOptions::new(id, &host, port);
        o.set_clean_session(clean)
            .set_manual_acks(true)
            .set_keep_alive(Duration::from_secs(10));
        o
    };

    // The ingester's session exists (subscribed), then it is away.
    {
        let (c, mut conn) = Client::new(options(&client_id, false), 64);
        c.subscribe(format!("{prefix}/#"), QoS::AtLeastOnce)
            .expect("subscribe");
        pump(&mut conn, Duration::from_millis(500), |_| false);
        c.disconnect().expect("disconnect");
        pump(&mut conn, Duration::from_millis(200), |_| false);
    }
    // 100 packs of 10 points (10 assets × 10 minutes), three that cannot be decoded, and one
    // of 2 MiB, twice the ingester's limit.
    {
        let mut o = options(&format!("{client_id}-pub"), true);
        o.set_max_packet_size(4 << 20, 4 << 20);
        let (p, mut conn) = Client::new(o, 256);
        for k in 0..100 {
            let asset = k % 10;
            let t0 = 1_735_689_600 + (k / 10) * 600;
            let records: Vec<String> = (0..10)
                .map(|j| format!(r#"{{"n":"p_kw","t":{},"v":{}}}"#, t0 + j * 60, k * 10 + j))
                .collect();
            let pack = format!(
                r#"[{{"bn":"yanqing/asset{asset}/","bu":"kW"}},{}]"#,
                records.join(",")
            );
            p.publish(
                format!("{prefix}/asset{asset}"),
                QoS::AtLeastOnce,
                false,
                pack,
            )
            .expect("publish");
        }
        p.publish(format!("{prefix}/bad"), QoS::AtLeastOnce, false, "not json")
            .expect("publish");
        p.publish(
            format!("{prefix}/bad"),
            QoS::AtLeastOnce,
            false,
            r#"[{"n":"x","t":1735689600,"vs":"text"}]"#,
        )
        .expect("publish");
        // A time relative to reception would change on a redelivery.
        p.publish(
            format!("{prefix}/bad"),
            QoS::AtLeastOnce,
            false,
            r#"[{"n":"yanqing/x/p_kw","t":-5,"v":1}]"#,
        )
        .expect("publish");
        p.publish(
            format!("{prefix}/bad"),
            QoS::AtLeastOnce,
            false,
            vec![b' '; 2 << 20],
        )
        .expect("publish");
        p.disconnect().expect("disconnect");
        pump(&mut conn, Duration::from_secs(3), |_| false);
    }
    // A client of the session takes some messages and never acknowledges them: a crash.
    {
        let (c, mut conn) = Client::new(options(&client_id, false), 64);
        let seen = pump(&mut conn, Duration::from_secs(5), |n| n >= 10);
        assert!(seen > 0, "the broker kept the session's messages");
        drop(c);
    }
    let dir = std::env::temp_dir().join(format!("parkgrid-ingest-{tag}"));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("park.sqlite");
    let config = Config {
        batch: 25,
        flush: Duration::from_millis(100),
        ..Config::new(&host, port, &client_id, &format!("{prefix}/#"))
    };
    let mut store = Store::open(&path).expect("store");
    let start = Instant::now();
    let mut reasons = Vec::new();
    let stats = run(
        &config,
        &mut store,
        &mut |s| s.acked >= 104 || start.elapsed() > Duration::from_secs(30),
        &mut |source, why| reasons.push(format!("{source}: {why}")),
    )
    .expect("runs");
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert_eq!(stats.acked, 104, "{stats:?}");
    assert_eq!(stats.quarantined, 4, "{stats:?}");
    assert_eq!(stats.points, 1000, "{stats:?}");
    let mut total = 0;
    for asset in 0..10 {
        let id = store
            .series_id(&format!("yanqing/asset{asset}/p_kw"))
            .expect("series");
        total += store.window(id, 0, i64::MAX).expect("window").len();
    }
    assert_eq!(total, 1000, "every point once");
    let q = store.quarantined().expect("quarantine");
    assert_eq!(q.len(), 4);
    assert!(
        q.iter().any(|(_, _, why)| why.starts_with(
            "a message of 2097152 bytes, larger than the ingester's limit of 1048576 bytes"
        )),
        "{q:?}"
    );
    assert!(
        q.iter()
            .any(|(_, _, why)| why.contains("relative to reception"))
    );
    assert!(q.iter().any(|(_, _, why)| why.starts_with("not JSON")));
    assert!(
        q.iter()
            .any(|(_, _, why)| why.contains("text or data value"))
    );
    // Everything was acknowledged: a second run finds nothing.
    let start = Instant::now();
    let again = run(
        &config,
        &mut store,
        &mut |_| start.elapsed() > Duration::from_secs(2),
        &mut |_, _| {},
    )
    .expect("runs");
    assert_eq!(again.acked, 0, "{again:?}");
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
