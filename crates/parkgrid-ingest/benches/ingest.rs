//! Sustained MQTT → SQLite ingest, and the time from publish to queryable.
//!
//! A Mosquitto of the benchmark's own (`docs/mosquitto.conf`'s settings; the binary named by
//! `PARKGRID_TEST_MOSQUITTO`), the ingester ([`parkgrid_ingest::mqtt::run`]) committing into a
//! SQLite file before it acknowledges, and a QoS 1 publisher sending SenML packs of `RECORDS`
//! points each (1,000 series, one point each per pack round) at `RATE` points per second (0: as
//! fast as the broker takes them).
//! Every point's value is the wall-clock time it was published (ms); the store under the ingester
//! notes when each commit returns, so a point's latency is the commit's time minus its value —
//! publish to durable and queryable.
//!
//! `PARKGRID_TEST_MOSQUITTO=/usr/sbin/mosquitto cargo bench -p parkgrid-ingest --features sqlite
//! --bench ingest -- [POINTS] [RECORDS] [RATE]` (defaults 1,000,000 points in packs of 100 at
//! 100,000 points/s). With
//! `--peer`, the subscriber is `benches/peer_ingest.py` (paho-mqtt into Python's sqlite3, the
//! same commit-then-acknowledge) instead, for the ratio in BENCHMARKS.md; with `--postgres`
//! (feature `postgres`, `PARKGRID_TEST_POSTGRES`), the ingester writes to PostgreSQL.

#[cfg(feature = "sqlite")]
fn main() {
    bench::main();
}

#[cfg(not(feature = "sqlite"))]
fn main() {
    eprintln!("build with --features sqlite");
}

#[cfg(feature = "sqlite")]
mod bench {
    use std::path::Path;
    use std::sync::mpsc;
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    use parkgrid_ingest::mosquitto::Mosquitto;
    use parkgrid_ingest::mqtt::{self, Config};
    use parkgrid_ingest::publish::Publisher;
    use parkgrid_store::meter::{Derived, MeterSpec, Reading};
    use parkgrid_store::rollup::{Bucket, Resolution};
    use parkgrid_store::sqlite::Store;
    use parkgrid_store::{
        Alarm, AlarmAction, Point, PointStore, Purged, SeriesMeta, StoreError, TokenRecord,
    };

    fn now_ms() -> f64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }

    /// A store, noting each point's latency when its commit returns.
    struct Timed {
        store: Box<dyn PointStore>,
        latencies_ms: Vec<f64>,
    }

    impl PointStore for Timed {
        fn series(&mut self, meta: &SeriesMeta) -> Result<i64, StoreError> {
            self.store.series(meta)
        }
        fn series_id(&mut self, name: &str) -> Result<i64, StoreError> {
            self.store.series_id(name)
        }
        fn all_series(&mut self) -> Result<Vec<(i64, SeriesMeta)>, StoreError> {
            self.store.all_series()
        }
        fn add_token(&mut self, t: &TokenRecord) -> Result<(), StoreError> {
            self.store.add_token(t)
        }
        fn token_by_hash(&mut self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
            self.store.token_by_hash(hash)
        }
        fn tokens(&mut self) -> Result<Vec<TokenRecord>, StoreError> {
            self.store.tokens()
        }
        fn revoke_token(&mut self, id: &str, at_ms: i64) -> Result<bool, StoreError> {
            self.store.revoke_token(id, at_ms)
        }
        fn raise_alarm(
            &mut self,
            key: &str,
            severity: &str,
            source: &str,
            message: &str,
            at_ms: i64,
        ) -> Result<i64, StoreError> {
            self.store
                .raise_alarm(key, severity, source, message, at_ms)
        }
        fn clear_alarm(&mut self, key: &str, at_ms: i64) -> Result<bool, StoreError> {
            self.store.clear_alarm(key, at_ms)
        }
        fn alarms(&mut self, since_ms: i64, limit: usize) -> Result<Vec<Alarm>, StoreError> {
            self.store.alarms(since_ms, limit)
        }
        fn act_on_alarm(
            &mut self,
            id: i64,
            action: &AlarmAction,
            at_ms: i64,
        ) -> Result<Option<Alarm>, StoreError> {
            self.store.act_on_alarm(id, action, at_ms)
        }
        fn write_points(&mut self, batch: &[(i64, Point)]) -> Result<usize, StoreError> {
            let n = self.store.write_points(batch)?;
            let now = now_ms();
            self.latencies_ms
                .extend(batch.iter().map(|(_, p)| now - p.value));
            Ok(n)
        }
        fn window(&mut self, id: i64, from: i64, to: i64) -> Result<Vec<Point>, StoreError> {
            self.store.window(id, from, to)
        }
        fn latest(&mut self, id: i64) -> Result<Option<Point>, StoreError> {
            self.store.latest(id)
        }
        fn write_readings(&mut self, point: &str, r: &[Reading]) -> Result<usize, StoreError> {
            self.store.write_readings(point, r)
        }
        fn meter_intervals(
            &mut self,
            point: &str,
            from: i64,
            to: i64,
            spec: &MeterSpec,
        ) -> Result<Derived, StoreError> {
            self.store.meter_intervals(point, from, to, spec)
        }
        fn quarantine(
            &mut self,
            at: i64,
            source: &str,
            payload: &[u8],
            reason: &str,
        ) -> Result<i64, StoreError> {
            self.store.quarantine(at, source, payload, reason)
        }
        fn quarantined(&mut self) -> Result<Vec<(i64, String, String)>, StoreError> {
            self.store.quarantined()
        }
        fn set_day_offset_ms(&mut self, offset_ms: i64) -> Result<(), StoreError> {
            self.store.set_day_offset_ms(offset_ms)
        }
        fn refresh_rollups(&mut self, budget: usize, ended_by: i64) -> Result<usize, StoreError> {
            self.store.refresh_rollups(budget, ended_by)
        }
        fn set_retention_ms(&mut self, raw_ms: Option<i64>) -> Result<(), StoreError> {
            self.store.set_retention_ms(raw_ms)
        }
        fn purge(&mut self, now_ms: i64, budget: usize) -> Result<Purged, StoreError> {
            self.store.purge(now_ms, budget)
        }
        fn aggregate(
            &mut self,
            id: i64,
            from: i64,
            to: i64,
            res: Resolution,
        ) -> Result<Vec<Bucket>, StoreError> {
            self.store.aggregate(id, from, to, res)
        }
    }

    /// Pack `k` of `records` points: series `(k·records + i) mod 1000`, time `start_ms` plus
    /// the pack's round in ms (live telemetry's times, no two points of a series at one time),
    /// value the publish time.
    fn pack(k: usize, records: usize, start_ms: i64) -> String {
        let now = now_ms();
        let mut s = String::with_capacity(40 * records);
        s.push('[');
        for i in 0..records {
            let n = k * records + i;
            let (series, round) = (n % 1000, n / 1000);
            if i > 0 {
                s.push(',');
            }
            s.push_str(&format!(
                "{{\"n\":\"bench/a{series}/p_kw\",\"t\":{:.3},\"v\":{now:.3}}}",
                (start_ms + round as i64) as f64 / 1000.0
            ));
        }
        s.push(']');
        s
    }

    /// The PostgreSQL store named by `PARKGRID_TEST_POSTGRES`, in a schema of its own (feature
    /// `postgres`).
    #[cfg(feature = "postgres")]
    fn postgres_store() -> Box<dyn PointStore> {
        let params = std::env::var("PARKGRID_TEST_POSTGRES")
            .expect("set PARKGRID_TEST_POSTGRES (e.g. host=127.0.0.1 user=postgres dbname=test)");
        let schema = format!("bench_ingest_{}", std::process::id());
        Box::new(parkgrid_store::postgres::Store::connect(&params, &schema).expect("postgres"))
    }

    #[cfg(not(feature = "postgres"))]
    fn postgres_store() -> Box<dyn PointStore> {
        panic!("--postgres needs a build with --features postgres")
    }

    #[cfg(feature = "postgres")]
    fn drop_postgres_schema() {
        let params = std::env::var("PARKGRID_TEST_POSTGRES").expect("set above");
        let schema = format!("bench_ingest_{}", std::process::id());
        parkgrid_store::postgres::Store::connect(&params, &schema)
            .and_then(|s| s.drop_schema(&schema))
            .expect("schema dropped");
    }

    #[cfg(not(feature = "postgres"))]
    fn drop_postgres_schema() {}

    fn percentile(sorted: &[f64], q: f64) -> f64 {
        if sorted.is_empty() {
            return f64::NAN;
        }
        sorted[((sorted.len() - 1) as f64 * q).round() as usize]
    }

    pub fn main() {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let peer = args.iter().any(|a| a == "--peer");
        let postgres = args.iter().any(|a| a == "--postgres");
        let nums: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
        let total = nums.first().copied().unwrap_or(1_000_000);
        let records = nums.get(1).copied().unwrap_or(100).max(1);
        let rate = nums.get(2).copied().unwrap_or(100_000);
        let messages = total.div_ceil(records);
        let total = messages * records;
        let bin = std::env::var("PARKGRID_TEST_MOSQUITTO")
            .expect("set PARKGRID_TEST_MOSQUITTO to Mosquitto's binary");
        let dir =
            std::env::temp_dir().join(format!("parkgrid-ingest-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let broker = Mosquitto::start(Path::new(&bin), &dir).expect("mosquitto");
        let db = dir.join("bench.sqlite");
        let topic = "bench/#";
        // The subscriber: in process, or the peer script.
        let (tx, rx) = mpsc::channel();
        let subscriber = if peer {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer_ingest.py");
            let child = std::process::Command::new("python3")
                .arg(script)
                .args([
                    "127.0.0.1",
                    &broker.port().to_string(),
                    topic,
                    db.to_str().expect("utf-8"),
                    &total.to_string(),
                ])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("python3 runs the peer");
            std::thread::spawn(move || {
                let out = child.wait_with_output().expect("peer ends");
                // A peer that failed (paho-mqtt missing, say) has no figure to give.
                assert!(
                    out.status.success(),
                    "the peer failed ({}); it needs paho-mqtt 2 (pip install paho-mqtt)",
                    out.status
                );
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                let _ = tx.send(text);
            })
        } else {
            let config = Config {
                batch: 512,
                flush: Duration::from_millis(20),
                ..Config::new("127.0.0.1", broker.port(), "bench-ingest", topic)
            };
            std::thread::spawn(move || {
                let store: Box<dyn PointStore> = if postgres {
                    postgres_store()
                } else {
                    Box::new(Store::open(&db).expect("store"))
                };
                let mut store = Timed {
                    store,
                    latencies_ms: Vec::with_capacity(total),
                };
                let mut first: Option<Instant> = None;
                let stats = mqtt::run(
                    &config,
                    &mut store,
                    &mut |s| {
                        if s.points > 0 && first.is_none() {
                            first = Some(Instant::now());
                        }
                        s.points >= total
                    },
                    &mut |_, _| {},
                )
                .expect("ingests");
                let mut l = std::mem::take(&mut store.latencies_ms);
                l.sort_by(f64::total_cmp);
                let _ = tx.send(format!(
                    "points {} commits {} p50_ms {:.1} p99_ms {:.1} max_ms {:.1}",
                    stats.points,
                    stats.commits,
                    percentile(&l, 0.5),
                    percentile(&l, 0.99),
                    percentile(&l, 1.0)
                ));
            })
        };
        // Let the subscriber subscribe.
        std::thread::sleep(Duration::from_millis(if peer { 1500 } else { 500 }));
        let mut publisher = Publisher::connect("127.0.0.1", broker.port(), "bench-publish", 1000);
        let start = Instant::now();
        let start_ms = now_ms() as i64;
        for k in 0..messages {
            if rate > 0 {
                let due = Duration::from_secs_f64((k * records) as f64 / rate as f64);
                if let Some(wait) = due.checked_sub(start.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
            publisher
                .publish("bench/pack", pack(k, records, start_ms))
                .expect("publishes");
        }
        publisher
            .flush(Duration::from_secs(300))
            .expect("acknowledged");
        let published_s = start.elapsed().as_secs_f64();
        let report = rx
            .recv_timeout(Duration::from_secs(600))
            .expect("the subscriber stored every point");
        let elapsed = start.elapsed().as_secs_f64();
        let _ = subscriber.join();
        println!(
            "{}: {total} points in {messages} packs of {records} offered at {}: published in \
             {published_s:.2} s, stored in {elapsed:.2} s: {:.0} points/s; {}",
            match (peer, postgres) {
                (true, _) => "peer (paho-mqtt + sqlite3)",
                (false, true) => "parkgrid (rumqttc + PostgreSQL)",
                (false, false) => "parkgrid (rumqttc + SQLite)",
            },
            if rate > 0 {
                format!("{rate} points/s")
            } else {
                "full speed".into()
            },
            total as f64 / elapsed,
            report.trim()
        );
        drop(broker);
        if postgres {
            drop_postgres_schema();
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
