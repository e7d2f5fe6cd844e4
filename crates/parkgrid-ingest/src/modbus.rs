//! Modbus registers as a park's devices hold them: decoding a value from its registers, telling
//! a device's "no value" sentinels from data, and planning the block reads a poller sends.
//!
//! A value spans one or two 16-bit holding/input registers. Modbus fixes the byte order inside a
//! register (big-endian) but not the order of the registers of a 32-bit value, and some devices
//! swap the bytes too, so a register map names the order of the four bytes `A B C D` (A the most
//! significant) as they arrive: `abcd` (big-endian, the Modbus and SunSpec order), `cdab` (words
//! swapped), `badc` (bytes swapped), `dcba` (little-endian).
//!
//! Devices answer "no value" with sentinels — SunSpec's "not implemented" values (SunSpec
//! Information Model Specification, §6: `0xFFFF` for `uint16`, `0x8000` for `int16`,
//! `0xFFFFFFFF` for `uint32`, `0x80000000` for `int32`, NaN for `float32`) — and many return them
//! for a while after a reconnect. [`decode`] never lets one through as data: a sentinel, a value
//! that is not finite or one outside the map's range comes back with [`Quality::Bad`] and the
//! reason.

use serde::{Deserialize, Serialize};

/// How good a point is, as the store keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    /// A measurement.
    Good,
    /// Not a measurement: a sentinel, not finite, or out of range; kept with its reason, never
    /// used as data.
    Bad,
}

// The register types and byte orders are the park file's ([`parkgrid_model::live`]): one
// definition for the map a user writes and the codec that reads it.
pub use parkgrid_model::live::{ByteOrder, RegisterType};

/// One value of a register map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegisterSpec {
    /// Its type.
    pub ty: RegisterType,
    /// Its byte order (32-bit values; a 16-bit value swaps its bytes with `badc` and `dcba`).
    pub order: ByteOrder,
    /// value = raw × scale + offset.
    pub scale: f64,
    /// See `scale`.
    pub offset: f64,
    /// The range a measurement can have, after scaling (a value outside is not one).
    pub min: Option<f64>,
    /// See `min`.
    pub max: Option<f64>,
}

/// A decoded value.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The scaled value (NaN when the device sent NaN).
    pub value: f64,
    /// Whether it is a measurement.
    pub quality: Quality,
    /// Why it is not, when it is bad.
    pub reason: Option<String>,
}

/// Decodes `regs` (exactly `spec.ty.registers()` registers, as read) with `spec`.
///
/// # Errors
/// A message when `regs` does not hold the type's number of registers (a short reply).
pub fn decode(regs: &[u16], spec: &RegisterSpec) -> Result<Decoded, String> {
    let n = usize::from(spec.ty.registers());
    if regs.len() != n {
        return Err(format!(
            "{:?} spans {n} register(s), the reply holds {}",
            spec.ty,
            regs.len()
        ));
    }
    // The bytes as they arrived, then in A B C D order.
    let wire: Vec<u8> = regs.iter().flat_map(|r| r.to_be_bytes()).collect();
    let bytes: Vec<u8> = match (n, spec.order) {
        (1, ByteOrder::Abcd | ByteOrder::Cdab) => wire,
        (1, ByteOrder::Badc | ByteOrder::Dcba) => vec![wire[1], wire[0]],
        (_, ByteOrder::Abcd) => wire,
        (_, ByteOrder::Cdab) => vec![wire[2], wire[3], wire[0], wire[1]],
        (_, ByteOrder::Badc) => vec![wire[1], wire[0], wire[3], wire[2]],
        (_, ByteOrder::Dcba) => vec![wire[3], wire[2], wire[1], wire[0]],
    };
    let (raw, sentinel) = match spec.ty {
        RegisterType::U16 => {
            let x = u16::from_be_bytes([bytes[0], bytes[1]]);
            (f64::from(x), x == 0xFFFF)
        }
        RegisterType::I16 => {
            let x = i16::from_be_bytes([bytes[0], bytes[1]]);
            (f64::from(x), x == i16::MIN)
        }
        RegisterType::U32 => {
            let x = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            (f64::from(x), x == u32::MAX)
        }
        RegisterType::I32 => {
            let x = i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            (f64::from(x), x == i32::MIN)
        }
        RegisterType::F32 => {
            let x = f32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            (f64::from(x), x.is_nan())
        }
    };
    let value = raw * spec.scale + spec.offset;
    let bad = |why: String| Decoded {
        value,
        quality: Quality::Bad,
        reason: Some(why),
    };
    if sentinel {
        let raw_hex: String = regs.iter().map(|r| format!("{r:04X}")).collect();
        return Ok(bad(format!(
            "0x{raw_hex} is the device's \"no value\" for {:?}",
            spec.ty
        )));
    }
    if !value.is_finite() {
        return Ok(bad(format!("{value} is not a number a device measures")));
    }
    if let Some(lo) = spec.min.filter(|lo| value < *lo) {
        return Ok(bad(format!("{value} is below the map's minimum {lo}")));
    }
    if let Some(hi) = spec.max.filter(|hi| value > *hi) {
        return Ok(bad(format!("{value} is above the map's maximum {hi}")));
    }
    Ok(Decoded {
        value,
        quality: Quality::Good,
        reason: None,
    })
}

/// The registers a device would hold for `value` under `spec` (what [`decode`] reads back):
/// `raw = (value − offset) / scale`, rounded to the type (saturating at its range, short of
/// its "no value" sentinel), in the spec's byte order. A device simulator's side (the twin).
pub fn encode(value: f64, spec: &RegisterSpec) -> Vec<u16> {
    let raw = (value - spec.offset) / spec.scale;
    let be: Vec<u8> = match spec.ty {
        RegisterType::U16 => (raw.round().clamp(0.0, 65_534.0) as u16)
            .to_be_bytes()
            .to_vec(),
        RegisterType::I16 => (raw.round().clamp(-32_767.0, 32_767.0) as i16)
            .to_be_bytes()
            .to_vec(),
        RegisterType::U32 => (raw.round().clamp(0.0, 4_294_967_294.0) as u32)
            .to_be_bytes()
            .to_vec(),
        RegisterType::I32 => (raw.round().clamp(-2_147_483_647.0, 2_147_483_647.0) as i32)
            .to_be_bytes()
            .to_vec(),
        RegisterType::F32 => (raw as f32).to_be_bytes().to_vec(),
    };
    // From A B C D order to the wire's (each order is its own inverse).
    let wire: Vec<u8> = match (be.len(), spec.order) {
        (2, ByteOrder::Abcd | ByteOrder::Cdab) => be,
        (2, ByteOrder::Badc | ByteOrder::Dcba) => vec![be[1], be[0]],
        (_, ByteOrder::Abcd) => be,
        (_, ByteOrder::Cdab) => vec![be[2], be[3], be[0], be[1]],
        (_, ByteOrder::Badc) => vec![be[1], be[0], be[3], be[2]],
        (_, ByteOrder::Dcba) => vec![be[3], be[2], be[1], be[0]],
    };
    wire.chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect()
}

/// One read request: `count` registers from `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// First register address.
    pub start: u16,
    /// Registers (1–125, the most one Modbus read returns).
    pub count: u16,
}

/// The most registers one read returns (Modbus Application Protocol V1.1b3, §6.3–6.4).
pub const MAX_READ: u16 = 125;

/// The block reads covering `values` (first address and register count of each): values whose
/// registers lie within `max_gap` unused registers of each other share a read, as long as it
/// stays within `max_count` (at most [`MAX_READ`]) registers.
pub fn plan(values: &[(u16, u16)], max_count: u16, max_gap: u16) -> Vec<Block> {
    let max_count = max_count.clamp(1, MAX_READ);
    let mut spans: Vec<(u32, u32)> = values
        .iter()
        .filter(|(_, len)| *len > 0)
        .map(|&(start, len)| (u32::from(start), u32::from(start) + u32::from(len)))
        .collect();
    spans.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for (s, e) in spans {
        match out.last_mut() {
            Some((bs, be))
                if s <= *be + u32::from(max_gap) && e.max(*be) - *bs <= u32::from(max_count) =>
            {
                *be = (*be).max(e);
            }
            _ => out.push((s, e)),
        }
    }
    out.into_iter()
        .map(|(s, e)| Block {
            start: s as u16,
            count: (e - s).min(u32::from(u16::MAX)) as u16,
        })
        .collect()
}

/// A block a device refused, in parts to read apart that never cut a value: the values of
/// `spans` (first register, registers) lying wholly inside `b`, in two groups split at the
/// value start nearest the middle, each part spanning its group's values only. Many devices
/// refuse a read that starts or ends inside a 32-bit value, so halving by registers would
/// turn a readable value into two refused halves. One value: that value alone (when `b` is
/// larger), else nothing — the device refuses it, and it is missing.
pub fn split_at_values(b: Block, spans: &[(u16, u16)]) -> Vec<Block> {
    let end = u32::from(b.start) + u32::from(b.count);
    let mut inside: Vec<(u16, u16)> = spans
        .iter()
        .copied()
        .filter(|&(s, n)| s >= b.start && u32::from(s) + u32::from(n) <= end)
        .collect();
    inside.sort_unstable();
    inside.dedup();
    let group = |vals: &[(u16, u16)]| -> Option<Block> {
        let first = vals.first()?.0;
        let last = vals
            .iter()
            .map(|&(s, n)| u32::from(s) + u32::from(n))
            .max()?;
        Some(Block {
            start: first,
            count: u16::try_from(last - u32::from(first)).ok()?,
        })
    };
    match inside.len() {
        0 => Vec::new(),
        1 => match group(&inside) {
            Some(only) if only != b => vec![only],
            _ => Vec::new(),
        },
        _ => {
            let mid = u32::from(b.start) + u32::from(b.count) / 2;
            // The value start nearest the middle (not the first value's).
            let k = (1..inside.len())
                .min_by_key(|&i| u32::from(inside[i].0).abs_diff(mid))
                .unwrap_or(1);
            [group(&inside[..k]), group(&inside[k..])]
                .into_iter()
                .flatten()
                .collect()
        }
    }
}

/// A block a device refused (a Modbus exception, e.g. an illegal data address where the read
/// crosses a hole in its map) in two halves to read apart, or `None` for a single register —
/// which is then the device's to refuse, and its value missing.
pub fn split(b: Block) -> Option<(Block, Block)> {
    (b.count > 1).then(|| {
        let half = b.count / 2;
        (
            Block {
                start: b.start,
                count: half,
            },
            Block {
                start: b.start + half,
                count: b.count - half,
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(ty: RegisterType, order: ByteOrder) -> RegisterSpec {
        RegisterSpec {
            ty,
            order,
            scale: 1.0,
            offset: 0.0,
            min: None,
            max: None,
        }
    }

    /// What `encode` writes, `decode` reads back, in every type and order, to the scale's
    /// resolution; values beyond a type saturate short of its sentinel.
    #[test]
    fn encode_is_read_back_by_decode() {
        let orders = [
            ByteOrder::Abcd,
            ByteOrder::Cdab,
            ByteOrder::Badc,
            ByteOrder::Dcba,
        ];
        let types = [
            RegisterType::U16,
            RegisterType::I16,
            RegisterType::U32,
            RegisterType::I32,
            RegisterType::F32,
        ];
        for ty in types {
            for order in orders {
                let s = RegisterSpec {
                    scale: 0.1,
                    offset: 5.0,
                    ..spec(ty, order)
                };
                for v in [5.0, 17.3, 812.4, 1234.5] {
                    let d = decode(&encode(v, &s), &s).expect("decodes");
                    assert_eq!(d.quality, Quality::Good, "{ty:?} {order:?} {v}");
                    assert!(
                        (d.value - v).abs() <= 0.05 + 1e-4 * v.abs(),
                        "{ty:?} {order:?} {v}: {}",
                        d.value
                    );
                }
                let huge = decode(&encode(1e12, &s), &s).expect("decodes");
                if ty != RegisterType::F32 {
                    assert_eq!(
                        huge.quality,
                        Quality::Good,
                        "{ty:?} saturates short of the sentinel"
                    );
                }
            }
        }
        let signed = spec(RegisterType::I16, ByteOrder::Abcd);
        assert_eq!(
            decode(&encode(-120.0, &signed), &signed)
                .expect("i16")
                .value,
            -120.0
        );
    }

    /// A refused block is split between values, never through one.
    #[test]
    fn refused_blocks_split_between_values() {
        let blk = |start, count| Block { start, count };
        // u32 at 10, u16 at 12, u32 at 13, f32 at 20 (a gap at 15–19).
        let spans = [(10, 2), (12, 1), (13, 2), (20, 2)];
        // The middle of 10..22 is 16: the value start nearest it is 13.
        assert_eq!(
            split_at_values(blk(10, 12), &spans),
            vec![blk(10, 3), blk(13, 9)]
        );
        assert_eq!(
            split_at_values(blk(13, 9), &spans),
            vec![blk(13, 2), blk(20, 2)]
        );
        assert_eq!(
            split_at_values(blk(10, 5), &spans),
            vec![blk(10, 2), blk(12, 3)]
        );
        // One value inside a larger block: the value alone; the value itself: nothing more.
        assert_eq!(split_at_values(blk(19, 3), &spans), vec![blk(20, 2)]);
        assert!(split_at_values(blk(20, 2), &spans).is_empty());
        assert!(split_at_values(blk(15, 5), &spans).is_empty());
        // Every part holds whole values only.
        for b in [blk(10, 12), blk(10, 5), blk(11, 11), blk(9, 14)] {
            for p in split_at_values(b, &spans) {
                for &(s, n) in &spans {
                    let (a, e) = (u32::from(s), u32::from(s) + u32::from(n));
                    let (ps, pe) = (u32::from(p.start), u32::from(p.start) + u32::from(p.count));
                    assert!(e <= ps || a >= pe || (a >= ps && e <= pe), "{p:?} cuts {s}");
                }
            }
        }
    }

    /// 123.456f32 is 0x42F6E979: the same value in each of the four orders.
    #[test]
    fn each_byte_order_reads_the_same_float() {
        for (order, regs) in [
            (ByteOrder::Abcd, [0x42F6, 0xE979]),
            (ByteOrder::Cdab, [0xE979, 0x42F6]),
            (ByteOrder::Badc, [0xF642, 0x79E9]),
            (ByteOrder::Dcba, [0x79E9, 0xF642]),
        ] {
            let d = decode(&regs, &spec(RegisterType::F32, order)).expect("decodes");
            assert!((d.value - 123.456).abs() < 1e-4, "{order:?}: {}", d.value);
            assert_eq!(d.quality, Quality::Good);
        }
        // −2 as i32 = 0xFFFFFFFE; 70,000 as u32 = 0x00011170, words swapped.
        let i = decode(&[0xFFFF, 0xFFFE], &spec(RegisterType::I32, ByteOrder::Abcd)).expect("i32");
        assert_eq!(i.value, -2.0);
        let u = decode(&[0x1170, 0x0001], &spec(RegisterType::U32, ByteOrder::Cdab)).expect("u32");
        assert_eq!(u.value, 70_000.0);
        let s = decode(&[0xFF38], &spec(RegisterType::I16, ByteOrder::Abcd)).expect("i16");
        assert_eq!(s.value, -200.0);
    }

    #[test]
    fn sentinels_and_impossible_values_are_never_data() {
        for (ty, regs) in [
            (RegisterType::U16, vec![0xFFFF]),
            (RegisterType::I16, vec![0x8000]),
            (RegisterType::U32, vec![0xFFFF, 0xFFFF]),
            (RegisterType::I32, vec![0x8000, 0x0000]),
            (RegisterType::F32, vec![0x7FC0, 0x0000]),
        ] {
            let d = decode(&regs, &spec(ty, ByteOrder::Abcd)).expect("decodes");
            assert_eq!(d.quality, Quality::Bad, "{ty:?}");
            assert!(d.reason.is_some_and(|r| r.contains("no value")), "{ty:?}");
        }
        // +∞ as f32 (0x7F800000), and a scaled value beyond the map's range.
        let inf =
            decode(&[0x7F80, 0x0000], &spec(RegisterType::F32, ByteOrder::Abcd)).expect("inf");
        assert_eq!(inf.quality, Quality::Bad);
        let ranged = RegisterSpec {
            scale: 0.1,
            min: Some(0.0),
            max: Some(1000.0),
            ..spec(RegisterType::U16, ByteOrder::Abcd)
        };
        let d = decode(&[20_000], &ranged).expect("decodes");
        assert_eq!((d.value, d.quality), (2000.0, Quality::Bad));
        let d = decode(&[4_567], &ranged).expect("decodes");
        assert!((d.value - 456.7).abs() < 1e-9 && d.quality == Quality::Good);
        assert!(decode(&[1], &spec(RegisterType::F32, ByteOrder::Abcd)).is_err());
    }

    #[test]
    fn reads_are_planned_within_the_limits_and_split_on_refusal() {
        // Values at 40001 (2), 40003 (1), 40010 (2) and 40200 (2): a gap of up to 8 registers is
        // read through, 190 is not.
        let blocks = plan(
            &[(40_010, 2), (40_001, 2), (40_003, 1), (40_200, 2)],
            125,
            8,
        );
        assert_eq!(
            blocks,
            [
                Block {
                    start: 40_001,
                    count: 11
                },
                Block {
                    start: 40_200,
                    count: 2
                },
            ]
        );
        // No read beyond the limit.
        let many: Vec<(u16, u16)> = (0..100).map(|k| (k * 2, 2)).collect();
        let blocks = plan(&many, 125, 0);
        assert!(blocks.iter().all(|b| b.count <= 125));
        assert_eq!(blocks.iter().map(|b| u32::from(b.count)).sum::<u32>(), 200);
        assert_eq!(
            split(Block {
                start: 10,
                count: 5
            }),
            Some((
                Block {
                    start: 10,
                    count: 2
                },
                Block {
                    start: 12,
                    count: 3
                }
            ))
        );
        assert_eq!(
            split(Block {
                start: 10,
                count: 1
            }),
            None
        );
    }
}
