//! SenML packs as RFC 8428 writes them, and packs it refuses.

use parkgrid_ingest::senml::{Record, Value, resolve};

const NOW_MS: i64 = 1_735_689_600_000; // 2025-01-01T00:00:00Z

/// RFC 8428 §5.1.3's pack: base name, base time and base unit, relative times in the records.
#[test]
fn the_rfcs_multiple_measurements_example_resolves() {
    let pack = r#"[
        {"bn":"urn:dev:ow:10e2073a01080063:","bt":1.320067464e+09,"bu":"%RH","v":20},
        {"u":"lon","v":24.30621},
        {"u":"lat","v":60.07965},
        {"t":60,"v":20.3},
        {"u":"lon","t":60,"v":24.30622},
        {"u":"lat","t":60,"v":60.07965},
        {"t":120,"v":20.7},
        {"u":"lon","t":120,"v":24.30623},
        {"u":"lat","t":120,"v":60.07966},
        {"u":"%EL","t":150,"v":98},
        {"t":180,"v":21.2},
        {"u":"lon","t":180,"v":24.30628},
        {"u":"lat","t":180,"v":60.07967}
    ]"#;
    let r = resolve(pack, NOW_MS).expect("resolves");
    assert_eq!(r.len(), 13);
    assert_eq!(
        r[0],
        Record {
            name: "urn:dev:ow:10e2073a01080063:".into(),
            time_ms: 1_320_067_464_000,
            unit: Some("%RH".into()),
            value: Some(Value::Number(20.0)),
            sum: None,
            relative: false,
        }
    );
    assert_eq!(r[1].unit.as_deref(), Some("lon"));
    assert_eq!(r[9].time_ms, 1_320_067_464_000 + 150_000);
    assert_eq!(r[9].unit.as_deref(), Some("%EL"));
    assert_eq!(r[12].value, Some(Value::Number(60.07967)));
}

/// The park's layout (PLATFORM.md): base name per asset, base value, a sum, a relative time.
#[test]
fn base_values_sums_and_relative_times() {
    let pack = r#"[
        {"bn":"yanqing/pv_roof/","bt":1735689600,"n":"p_kw","u":"kW","v":812.4},
        {"n":"e_kwh","bv":1000,"v":2.5,"bs":10,"s":1},
        {"bn":"yanqing/battery/","n":"soc","v":0.5,"t":-30},
        {"n":"ok","vb":true,"bt":0,"t":-5}
    ]"#;
    let r = resolve(pack, NOW_MS).expect("resolves");
    assert_eq!(r[0].name, "yanqing/pv_roof/p_kw");
    assert_eq!(r[1].value, Some(Value::Number(1002.5)));
    assert_eq!(r[1].sum, Some(11.0));
    // bv applies to later records too.
    assert_eq!(r[2].value, Some(Value::Number(1000.5)));
    assert_eq!(r[2].time_ms, 1_735_689_570_000);
    assert_eq!(r[2].name, "yanqing/battery/soc");
    // bt = 0: relative to the time of reception.
    assert_eq!(r[3].time_ms, NOW_MS - 5_000);
    assert_eq!(r[3].value, Some(Value::Bool(true)));
}

#[test]
fn what_the_rfc_refuses_is_refused_with_its_place() {
    for (pack, want) in [
        ("{}", "a SenML pack is a JSON array of records"),
        ("[1]", "record 0: a record is a JSON object"),
        (
            r#"[{"n":"a","v":1,"vs":"x"}]"#,
            "record 0: vs: a record has one value, this one has v, vs",
        ),
        (
            r#"[{"n":"a"}]"#,
            "record 0: a record needs a value (v, vs, vb or vd) or a sum (s)",
        ),
        (
            r#"[{"n":"a","v":"1"}]"#,
            "record 0: v: must be a number, not \"1\"",
        ),
        (
            r#"[{"n":"a","vb":1}]"#,
            "record 0: vb: must be true or false, not 1",
        ),
        (
            r#"[{"n":"-a","v":1}]"#,
            "record 0: n: the name '-a' must start with a letter or a digit",
        ),
        (
            r#"[{"bn":"a b/","n":"c","v":1}]"#,
            "record 0: n: the name 'a b/c' holds ' ', which SenML names may not",
        ),
        (
            r#"[{"v":1}]"#,
            "record 0: bn: the resolved name (bn + n) is empty",
        ),
        (
            r#"[{"n":"a","v":1,"x_":2}]"#,
            "record 0: x_: a field this reader must understand and does not (RFC 8428 §4.4)",
        ),
        (
            r#"[{"bver":11,"n":"a","v":1}]"#,
            "record 0: bver: version 11 is newer than this reader's (10)",
        ),
        (
            r#"[{"n":"a","v":1},{"n":"b","v":1,"t":1e300}]"#,
            "record 1: t: 1e300 s is not a time this store keeps",
        ),
    ] {
        let e = resolve(pack, NOW_MS).expect_err(pack);
        let text = e.to_string();
        assert!(text.starts_with(want) || text == want, "{pack}: {text}");
    }
    // A base-only record gives nothing; unknown fields without '_' are ignored.
    let r = resolve(r#"[{"bn":"a/"},{"n":"b","v":1,"extra":true}]"#, NOW_MS).expect("resolves");
    assert_eq!(r.len(), 1);
}

/// Mutated packs (bytes replaced, inserted, removed; fields swapped for others): every one is
/// resolved or refused with a reason — no panic — and what is resolved is a valid record.
#[test]
fn mutated_packs_are_resolved_or_refused_never_a_panic() {
    use parkgrid_resource::rng::Rng;
    let seeds = [
        r#"[{"bn":"yanqing/pv_roof/","bt":1735689600,"n":"p_kw","u":"kW","v":812.4},{"n":"e_kwh","bv":1000,"v":2.5,"bs":10,"s":1},{"n":"ok","vb":true,"t":-5}]"#,
        r#"[{"bn":"urn:dev:ow:10e2073a01080063:","bt":1.320067464e+09,"bu":"%RH","v":20},{"u":"lon","v":24.30621},{"u":"%EL","t":150,"v":98}]"#,
    ];
    const PIECES: [&str; 16] = [
        "\"v\":",
        "\"vs\":",
        "\"bn\":",
        "\"bt\":",
        "\"t\":",
        "1e400",
        "-1",
        "null",
        "[",
        "]",
        "{",
        "}",
        ",",
        "\"x_\":1,",
        "\"bver\":99,",
        "\"n\":\"\\u00e9\",",
    ];
    let mut rng = Rng::new(8428);
    let mut below = |n: usize| (rng.uniform() * n as f64) as usize % n.max(1);
    let (mut ok, mut refused) = (0, 0);
    for case in 0..20_000 {
        let mut text = seeds[case % seeds.len()].as_bytes().to_vec();
        for _ in 0..1 + below(3) {
            let at = below(text.len() + 1);
            match below(3) {
                0 if at < text.len() => {
                    text.remove(at);
                }
                1 => {
                    let piece = PIECES[below(PIECES.len())];
                    text.splice(at..at, piece.bytes());
                }
                _ if at < text.len() => text[at] = below(128) as u8,
                _ => {}
            }
        }
        let text = String::from_utf8_lossy(&text);
        match resolve(&text, NOW_MS) {
            Ok(records) => {
                ok += 1;
                for r in records {
                    assert!(!r.name.is_empty() && r.time_ms >= 0, "{text}: {r:?}");
                    assert!(r.value.is_some() || r.sum.is_some(), "{text}: {r:?}");
                }
            }
            Err(e) => {
                refused += 1;
                assert!(!e.why.is_empty(), "{text}");
            }
        }
    }
    assert!(
        ok > 500 && refused > 5_000,
        "{ok} resolved, {refused} refused"
    );
}
