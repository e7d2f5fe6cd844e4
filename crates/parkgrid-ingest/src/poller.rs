//! The Modbus TCP poller: a device's register map read in block reads, decoded
//! ([`crate::modbus`]) into points, sentinels and impossible values never stored as data.
//!
//! One connection per device (`tokio-modbus`'s blocking client, with a timeout). Each poll reads
//! the blocks [`modbus::plan`] makes of the map. A block the device refuses as an illegal address
//! (or value) is read again in parts split between values ([`modbus::split_at_values`]: never
//! through a 32-bit value) down to single values, and the parts it answers replace it in the
//! plan (a value it refuses is not asked for again until the plan is made afresh, every
//! [`REPLAN`] polls). A
//! device that answers busy or failed is asked again; a reply that does not come within the
//! timeout, or a broken connection, closes the connection; the poller reconnects (after a back-off that
//! doubles up to
//! [`PollConfig::max_backoff`]) and reads the block again, up to [`PollConfig::retries`] times. A
//! value that decodes to a sentinel on a connection younger than [`PollConfig::settle`] — many
//! devices answer "no value" for a while after a reconnect — is read again once the connection is
//! that old; if it still is one, it is stored with the store's `Quality::Bad`, without its number.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use parkgrid_store::{Point, Quality as StoreQuality};
use tokio_modbus::client::sync::{self, Reader};
use tokio_modbus::{ExceptionCode, Slave};

use crate::modbus::{self, Block, Quality, RegisterSpec};

/// Polls between two fresh plans (values a device refused are asked for again).
pub const REPLAN: usize = 100;

/// One value of a device's register map, and the series it feeds.
#[derive(Debug, Clone)]
pub struct MappedValue {
    /// The series' name in the store.
    pub series: String,
    /// Its first holding register.
    pub address: u16,
    /// How to decode it.
    pub spec: RegisterSpec,
}

/// How a device is polled.
#[derive(Debug, Clone)]
pub struct PollConfig {
    /// The device's address.
    pub addr: SocketAddr,
    /// Its unit (slave) id.
    pub unit: u8,
    /// A reply not in within this is a lost one.
    pub timeout: Duration,
    /// Attempts per block after a lost reply or a broken connection.
    pub retries: u32,
    /// The first pause before a reconnect; doubled after each failure.
    pub backoff: Duration,
    /// The longest pause before a reconnect.
    pub max_backoff: Duration,
    /// How long a device may answer "no value" after a connection: a sentinel read sooner is read
    /// again once the connection is this old.
    pub settle: Duration,
    /// Unused registers a block read may span to join two values.
    pub max_gap: u16,
}

/// What polling has done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollStats {
    /// Polls made.
    pub polls: usize,
    /// Polls in which every value was read and good.
    pub good_polls: usize,
    /// Values stored as good.
    pub good_values: usize,
    /// Values stored as bad (a sentinel, not finite, out of range).
    pub bad_values: usize,
    /// Values missing from a poll (refused, or no reply after the retries).
    pub missing_values: usize,
    /// Replies that did not come in time.
    pub timeouts: usize,
    /// Exceptions the device answered.
    pub exceptions: usize,
    /// Connections made.
    pub connects: usize,
}

/// A device being polled.
pub struct Poller {
    config: PollConfig,
    values: Vec<MappedValue>,
    /// The values' spans (first register, registers), for splitting refused blocks.
    spans: Vec<(u16, u16)>,
    /// The plan as made from the map, and as learnt from the device's refusals.
    planned: Vec<Block>,
    blocks: Vec<Block>,
    ctx: Option<sync::Context>,
    /// When the current connection was made.
    connected_at: Instant,
    backoff: Duration,
    /// What it has done.
    pub stats: PollStats,
}

/// How a block read ended.
enum Read {
    Registers(Vec<u16>),
    /// The device has no such registers (illegal data address or value): read in parts.
    Refused,
    /// No reply, a broken connection, or a device that failed to answer: try again.
    Lost,
}

impl Poller {
    /// A poller of `values` on the device of `config` (not connected until the first poll).
    pub fn new(config: PollConfig, values: Vec<MappedValue>) -> Self {
        let spans: Vec<(u16, u16)> = values
            .iter()
            .map(|v| (v.address, v.spec.ty.registers()))
            .collect();
        let blocks = modbus::plan(&spans, modbus::MAX_READ, config.max_gap);
        let backoff = config.backoff;
        Poller {
            config,
            values,
            spans,
            planned: blocks.clone(),
            blocks,
            ctx: None,
            connected_at: Instant::now(),
            backoff,
            stats: PollStats::default(),
        }
    }

    fn connect(&mut self) -> bool {
        // The connection too is bounded by the reply timeout: a host that does not answer the
        // handshake would otherwise hold the poller (and a stop) for the system's TCP timeout.
        match sync::tcp::connect_slave_with_timeout(
            self.config.addr,
            Slave(self.config.unit),
            Some(self.config.timeout),
        ) {
            Ok(mut ctx) => {
                ctx.set_timeout(Some(self.config.timeout));
                self.ctx = Some(ctx);
                self.connected_at = Instant::now();
                self.stats.connects += 1;
                self.backoff = self.config.backoff;
                true
            }
            Err(_) => {
                std::thread::sleep(self.backoff);
                self.backoff = (self.backoff * 2).min(self.config.max_backoff);
                false
            }
        }
    }

    /// Reads `b` once on the current connection (connecting first if need be).
    fn read_once(&mut self, b: Block) -> Read {
        if self.ctx.is_none() && !self.connect() {
            return Read::Lost;
        }
        let Some(ctx) = self.ctx.as_mut() else {
            return Read::Lost;
        };
        match ctx.read_holding_registers(b.start, b.count) {
            Ok(Ok(regs)) if regs.len() == usize::from(b.count) => Read::Registers(regs),
            Ok(Ok(_)) => {
                // A short reply: the connection cannot be trusted.
                self.ctx = None;
                Read::Lost
            }
            Ok(Err(code)) => {
                self.stats.exceptions += 1;
                match code {
                    ExceptionCode::IllegalDataAddress | ExceptionCode::IllegalDataValue => {
                        Read::Refused
                    }
                    // Busy, failed, a gateway without its target: the next attempt may do.
                    _ => Read::Lost,
                }
            }
            Err(_) => {
                self.stats.timeouts += 1;
                self.ctx = None;
                std::thread::sleep(self.backoff);
                Read::Lost
            }
        }
    }

    /// Reads `b`, retrying lost replies on a new connection; `None` when it stays lost,
    /// `Some(Err(()))` when the device refuses it.
    fn read(&mut self, b: Block) -> Option<Result<Vec<u16>, ()>> {
        for _ in 0..=self.config.retries {
            match self.read_once(b) {
                Read::Registers(r) => return Some(Ok(r)),
                Read::Refused => return Some(Err(())),
                Read::Lost => continue,
            }
        }
        None
    }

    /// Reads block `b` (split on refusal) into `regs` (address → register); returns the blocks
    /// the device answers, to read instead of `b` from now on.
    fn gather(&mut self, b: Block, regs: &mut HashMap<u16, u16>) -> Vec<Block> {
        match self.read(b) {
            Some(Ok(r)) => {
                for (k, v) in r.into_iter().enumerate() {
                    regs.insert(b.start + k as u16, v);
                }
                vec![b]
            }
            // Read again in parts that never cut a value; a single value the device refuses is
            // left out of the plan (until the plan is made afresh).
            Some(Err(())) => modbus::split_at_values(b, &self.spans)
                .into_iter()
                .flat_map(|part| self.gather(part, regs))
                .collect(),
            // Lost this time: the same block next time.
            None => vec![b],
        }
    }

    /// Value `i` decoded from `regs`, `None` when a register of it is missing.
    fn decode_value(&self, i: usize, regs: &HashMap<u16, u16>) -> Option<modbus::Decoded> {
        let v = &self.values[i];
        let words: Option<Vec<u16>> = (0..v.spec.ty.registers())
            .map(|k| regs.get(&(v.address + k)).copied())
            .collect();
        modbus::decode(&words?, &v.spec).ok()
    }

    /// One poll at `time_ms`: the points of every value read (good or bad), by series name.
    pub fn poll(&mut self, time_ms: i64) -> Vec<(String, Point)> {
        self.stats.polls += 1;
        // What a device refused may come back (a device still starting, a configuration
        // change): the plan is made afresh every REPLAN polls.
        if self.stats.polls % REPLAN == 0 {
            self.blocks = self.planned.clone();
        }
        let mut regs = HashMap::new();
        // A refused block is replaced by the parts the device answers (learnt once).
        let mut plan = Vec::with_capacity(self.blocks.len());
        for b in self.blocks.clone() {
            plan.extend(self.gather(b, &mut regs));
        }
        self.blocks = plan;
        let mut decoded: Vec<Option<modbus::Decoded>> = (0..self.values.len())
            .map(|i| self.decode_value(i, &regs))
            .collect();
        // "No value" on a connection younger than the settling time: wait until it is that old,
        // read those again.
        let bad =
            |d: &Option<modbus::Decoded>| d.as_ref().is_some_and(|d| d.quality == Quality::Bad);
        let age = self.connected_at.elapsed();
        if age < self.config.settle && decoded.iter().any(bad) {
            std::thread::sleep(self.config.settle - age);
            let again: Vec<usize> = (0..decoded.len()).filter(|&i| bad(&decoded[i])).collect();
            for i in again {
                let b = Block {
                    start: self.values[i].address,
                    count: self.values[i].spec.ty.registers(),
                };
                let _ = self.gather(b, &mut regs);
                decoded[i] = self.decode_value(i, &regs);
            }
        }
        let mut out = Vec::with_capacity(self.values.len());
        let mut all_good = true;
        for (v, d) in self.values.iter().zip(decoded) {
            let Some(d) = d else {
                self.stats.missing_values += 1;
                all_good = false;
                continue;
            };
            let quality = match d.quality {
                Quality::Good => {
                    self.stats.good_values += 1;
                    StoreQuality::Good
                }
                Quality::Bad => {
                    self.stats.bad_values += 1;
                    all_good = false;
                    StoreQuality::Bad
                }
            };
            out.push((
                v.series.clone(),
                Point {
                    time_ms,
                    // A bad value is kept without its number.
                    value: if quality == StoreQuality::Good {
                        d.value
                    } else {
                        f64::NAN
                    },
                    quality,
                    seq: 1,
                },
            ));
        }
        if all_good {
            self.stats.good_polls += 1;
        }
        out
    }
}
