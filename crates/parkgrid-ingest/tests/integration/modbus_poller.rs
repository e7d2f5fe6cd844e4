//! The Modbus poller against a faulty device: a Modbus/TCP peer in this test (127.0.0.1, an
//! ephemeral port, stopping by itself) that drops 1 % of its replies, answers 0.1 % with a
//! "slave device failure" exception, refuses reads that cross a hole in its map, and answers "no
//! value" sentinels for 15 ms after every connection. Over 1,000 polls: no sentinel is stored as
//! data, every good value is the register's, and at least 99 % of the polls are good.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parkgrid_ingest::modbus::{ByteOrder, RegisterSpec, RegisterType};
use parkgrid_ingest::poller::{MappedValue, PollConfig, Poller};
use parkgrid_resource::rng::Rng;
use parkgrid_store::Quality;

/// The device's holding registers: 0–199, with a hole at 100–109 (no such registers).
fn image() -> Vec<u16> {
    let mut r: Vec<u16> = (0..200u16).map(|k| 1000 + k).collect();
    r[0] = 2345; // u16 × 0.1 = 234.5
    r[1] = (-120i16) as u16; // i16
    r[2] = 0x0001; // u32 70,000 (ABCD)
    r[3] = 0x1170;
    r[4] = 0xE979; // f32 123.456 (CDAB)
    r[5] = 0x42F6;
    r
}

const HOLE: std::ops::Range<u16> = 100..110;

/// How long after a connection the device answers "no value", ms.
const SENTINEL_MS: u64 = 15;

/// What a read of `start..start+count` answers on a connection made at `since`.
fn answer(start: u16, count: u16, since: Instant, rng: &mut Rng) -> Option<Result<Vec<u16>, u8>> {
    let x = rng.uniform();
    if x < 0.01 {
        return None; // the reply is lost
    }
    if x < 0.011 {
        return Some(Err(0x04)); // slave device failure
    }
    let end = u32::from(start) + u32::from(count);
    if end > 200 || (u32::from(start) < u32::from(HOLE.end) && end > u32::from(HOLE.start)) {
        return Some(Err(0x02)); // illegal data address
    }
    let img = image();
    let fresh = since.elapsed() < Duration::from_millis(SENTINEL_MS);
    Some(Ok((start..start + count)
        .map(|a| match (fresh, a) {
            (true, 1) => 0x8000,
            (true, _) => 0xFFFF,
            (false, _) => img[usize::from(a)],
        })
        .collect()))
}

fn serve(stream: TcpStream, seed: u64, stop: Arc<AtomicBool>) {
    let since = Instant::now();
    let mut rng = Rng::new(seed);
    let mut stream = stream;
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut buf = [0u8; 12];
    while !stop.load(Ordering::Relaxed) {
        match stream.read_exact(&mut buf) {
            Ok(()) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                continue;
            }
            Err(_) => return,
        }
        let (tid, unit, func) = ([buf[0], buf[1]], buf[6], buf[7]);
        let start = u16::from_be_bytes([buf[8], buf[9]]);
        let count = u16::from_be_bytes([buf[10], buf[11]]);
        let pdu: Vec<u8> = if func != 0x03 {
            vec![func | 0x80, 0x01]
        } else {
            match answer(start, count, since, &mut rng) {
                None => continue,
                Some(Err(code)) => vec![0x83, code],
                Some(Ok(regs)) => {
                    let mut p = vec![0x03, (regs.len() * 2) as u8];
                    p.extend(regs.iter().flat_map(|r| r.to_be_bytes()));
                    p
                }
            }
        };
        let len = (pdu.len() + 1) as u16;
        let mut frame = vec![tid[0], tid[1], 0, 0];
        frame.extend(len.to_be_bytes());
        frame.push(unit);
        frame.extend(pdu);
        if stream.write_all(&frame).is_err() {
            return;
        }
    }
}

/// The peer: accepts connections until `stop` (or 120 s), each served on its own thread.
fn peer(stop: Arc<AtomicBool>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut seed = 7;
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            match listener.accept() {
                Ok((s, _)) => {
                    let _ = s.set_nonblocking(false);
                    seed += 1;
                    let stop = stop.clone();
                    std::thread::spawn(move || serve(s, seed, stop));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
    });
    addr
}

#[test]
fn a_faulty_device_is_polled_without_storing_a_sentinel() {
    let stop = Arc::new(AtomicBool::new(false));
    let addr = peer(stop.clone());
    let spec = |ty, order, scale| RegisterSpec {
        ty,
        order,
        scale,
        offset: 0.0,
        min: None,
        max: None,
    };
    let values = vec![
        MappedValue {
            series: "dev/p_kw".into(),
            address: 0,
            spec: spec(RegisterType::U16, ByteOrder::Abcd, 0.1),
        },
        MappedValue {
            series: "dev/q_kvar".into(),
            address: 1,
            spec: spec(RegisterType::I16, ByteOrder::Abcd, 1.0),
        },
        MappedValue {
            series: "dev/e_kwh".into(),
            address: 2,
            spec: spec(RegisterType::U32, ByteOrder::Abcd, 1.0),
        },
        MappedValue {
            series: "dev/t_c".into(),
            address: 4,
            spec: spec(RegisterType::F32, ByteOrder::Cdab, 1.0),
        },
        // Either side of the hole, close enough to be planned as one read that it refuses.
        MappedValue {
            series: "dev/a".into(),
            address: 98,
            spec: spec(RegisterType::U16, ByteOrder::Abcd, 1.0),
        },
        MappedValue {
            series: "dev/b".into(),
            address: 112,
            spec: spec(RegisterType::U16, ByteOrder::Abcd, 1.0),
        },
    ];
    let want = [234.5, -120.0, 70_000.0, 123.456, 1098.0, 1112.0];
    let mut poller = Poller::new(
        PollConfig {
            addr,
            unit: 1,
            timeout: Duration::from_millis(25),
            retries: 3,
            backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(100),
            settle: Duration::from_millis(SENTINEL_MS + 10),
            max_gap: 16,
        },
        values,
    );
    let mut stored_bad = 0;
    for k in 0..1000 {
        for (i, (series, p)) in poller.poll(k).into_iter().enumerate() {
            match p.quality {
                Quality::Good => {
                    let v = want[[
                        "dev/p_kw",
                        "dev/q_kvar",
                        "dev/e_kwh",
                        "dev/t_c",
                        "dev/a",
                        "dev/b",
                    ]
                    .iter()
                    .position(|s| *s == series)
                    .unwrap_or(i)];
                    assert!(
                        (p.value - v).abs() < 1e-3,
                        "poll {k}: {series} = {} (want {v})",
                        p.value
                    );
                }
                _ => {
                    assert!(p.value.is_nan(), "a bad point keeps no number");
                    stored_bad += 1;
                }
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let s = poller.stats;
    println!("{s:?}, {stored_bad} bad points stored");
    assert!(s.good_polls >= 990, "{s:?}");
    assert!(
        s.timeouts > 0 && s.exceptions > 0 && s.connects > 1,
        "the faults happened: {s:?}"
    );
    // The hole is learnt once: refusals are a few, not some per poll.
    assert!(s.exceptions < 100, "{s:?}");
}
