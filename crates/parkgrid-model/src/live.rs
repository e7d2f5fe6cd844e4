//! How the live park is named on the wire: the park's id in MQTT topics and series names.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use std::collections::{HashMap, HashSet};

use crate::common::Cx;
use crate::diag::FieldPath;

/// The live park (`[live]`): how its telemetry is named.
///
/// A device (or `parkgrid twin`) publishes an asset's measurements as a SenML pack (RFC 8428)
/// to the topic `<topic_prefix>/<asset id>`, with the base name `<park_id>/<asset id>/` and one
/// record per quantity (`p_kw`, `heat_kw`, `level_kwh`, …); a billing meter's cumulative
/// reading goes to `<topic_prefix>/meter/<meter id>` under the name
/// `<park_id>/meter/<meter id>/<e_kwh | heat_kwh | cold_kwh>`. `parkgrid serve` subscribes to
/// `<topic_prefix>/#`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Live {
    /// The park's id in series names (the first segment of every SenML name): 1–64 letters,
    /// digits, `_` and `-`.
    #[serde(default = "default_park_id")]
    pub park_id: String,
    /// The MQTT topic the park's telemetry is published under; default `parkgrid/<park_id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_prefix: Option<String>,
    /// How many days the store keeps raw points (none: for ever); the rollups per 15 minutes,
    /// hour and day are kept whatever it is. `serve` purges older points a bounded step at a
    /// time, never stalling ingest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_retention_days: Option<f64>,
    /// Modbus TCP devices `serve` polls (`[[live.modbus]]`), each with its register map.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modbus: Vec<ModbusDevice>,
    /// Devices that publish JSON objects of their own over MQTT (`[[live.mapping]]`): the
    /// topic, the time field and the fields taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mapping: Vec<TopicMapping>,
}

/// A foreign topic layout (`[[live.mapping]]`): messages on `topic` are JSON objects
/// (`{"ts": 1735689600, "power": 812400}`) whose fields feed series. The time must come with the
/// message (a time of reception would differ on a redelivery, and the point be stored twice).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TopicMapping {
    /// The MQTT topic filter (`+` one level, `#` the rest), e.g. `site/inverter7/telemetry`.
    pub topic: String,
    /// The field holding the time (keys joined by `.`).
    pub time_field: String,
    /// The time field's unit: `s` or `ms` since 1970-01-01 UTC.
    #[serde(default)]
    pub time_unit: TimeUnit,
    /// The fields taken (`[[live.mapping.field]]`).
    #[serde(default)]
    pub field: Vec<MappedField>,
}

/// The unit of a foreign message's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Seconds.
    #[default]
    S,
    /// Milliseconds.
    Ms,
}

/// One field of a foreign message (`[[live.mapping.field]]`): value = field × `scale`, stored as
/// `<park_id>/<asset>/<quantity>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct MappedField {
    /// The field's path in the object (keys joined by `.`: `grid.p`).
    pub field: String,
    /// The asset (or branch) it belongs to.
    pub asset: String,
    /// The quantity, the series name's last segment.
    pub quantity: String,
    /// The factor to the series' unit (0.001 from W to kW).
    #[serde(default = "default_scale")]
    pub scale: f64,
    /// The series' unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// A Modbus TCP device (`[[live.modbus]]`): an inverter, a battery's PCS, a meter, a gateway's
/// unit. `serve` reads its holding registers every `poll_s` (block reads, split when the device
/// refuses one; reconnects with a back-off) and stores each register value as the series
/// `<park_id>/<asset>/<quantity>`; a "no value" sentinel (0xFFFF, 0x8000, NaN, …) or a value
/// outside `[min, max]` is stored as bad, never as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ModbusDevice {
    /// Unique id among the devices.
    pub id: String,
    /// Its host name or address.
    pub host: String,
    /// Its TCP port.
    #[serde(default = "default_modbus_port")]
    pub port: u16,
    /// Its unit (slave) id, 0–247.
    #[serde(default = "default_unit")]
    pub unit: u8,
    /// Seconds between two polls.
    #[serde(default = "default_poll_s")]
    pub poll_s: f64,
    /// A reply not in within this many milliseconds is a lost one.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u32,
    /// The byte order of its 32-bit values (a register's own `byte_order` overrides it):
    /// `abcd` big-endian (Modbus, SunSpec), `cdab` registers swapped, `badc` bytes swapped in
    /// each register, `dcba` little-endian.
    #[serde(default)]
    pub byte_order: ByteOrder,
    /// Its register map.
    #[serde(default)]
    pub register: Vec<ModbusRegister>,
}

/// One value of a device's register map (`[[live.modbus.register]]`): value = raw × `scale` +
/// `offset`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ModbusRegister {
    /// Its first holding register (0-based protocol address; register 40001 of the
    /// one-based convention is address 0).
    pub address: u16,
    /// Its type: `u16`, `i16` (one register), `u32`, `i32`, `f32` (two registers).
    #[serde(rename = "type")]
    pub ty: RegisterType,
    /// Its byte order; default the device's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byte_order: Option<ByteOrder>,
    /// The factor from the raw value to the unit.
    #[serde(default = "default_scale")]
    pub scale: f64,
    /// Added after scaling.
    #[serde(default)]
    pub offset: f64,
    /// The asset (or branch) the value belongs to.
    pub asset: String,
    /// The quantity, the series name's last segment (`p_kw`, `soc`, `level_kwh`, …;
    /// `p_set_kw`: the asset's active-power setpoint, writable).
    pub quantity: String,
    /// Its unit (`kW`, `%`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The least value a measurement can have, after scaling (below: stored as bad).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The greatest value a measurement can have, after scaling (above: stored as bad).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// A register value's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegisterType {
    /// Unsigned 16-bit.
    U16,
    /// Signed 16-bit.
    I16,
    /// Unsigned 32-bit.
    U32,
    /// Signed 32-bit.
    I32,
    /// IEEE 754 single precision.
    F32,
}

impl RegisterType {
    /// Its name in the park file.
    pub fn as_str(self) -> &'static str {
        match self {
            RegisterType::U16 => "u16",
            RegisterType::I16 => "i16",
            RegisterType::U32 => "u32",
            RegisterType::I32 => "i32",
            RegisterType::F32 => "f32",
        }
    }

    /// Registers it spans.
    pub fn registers(self) -> u16 {
        match self {
            RegisterType::U16 | RegisterType::I16 => 1,
            RegisterType::U32 | RegisterType::I32 | RegisterType::F32 => 2,
        }
    }
}

/// The order of a 32-bit value's four bytes as they arrive, `a` the most significant: Modbus
/// fixes the order inside a register (big-endian) but not the order of a value's registers,
/// and some devices swap the bytes too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ByteOrder {
    /// Big-endian (the Modbus and SunSpec order).
    #[default]
    Abcd,
    /// Registers swapped.
    Cdab,
    /// Bytes swapped in each register (a 16-bit value swaps its two bytes).
    Badc,
    /// Little-endian.
    Dcba,
}

/// A quantity name: a SenML name's last segment.
fn check_quantity(q: &str, cx: &mut Cx, at: &FieldPath) {
    if q.is_empty()
        || !q
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        cx.error(
            at,
            "quantity",
            format!("'{q}' is not a quantity name: letters, digits, '_', '-', '.'"),
        );
    }
}

/// An MQTT topic filter (MQTT 3.1.1 §4.7): levels split by `/`, `+` a whole level, `#` the last.
fn check_filter(f: &str) -> Result<(), String> {
    if f.is_empty() || f.len() > 256 || f.contains('\0') {
        return Err("1–256 characters".into());
    }
    let levels: Vec<&str> = f.split('/').collect();
    for (i, l) in levels.iter().enumerate() {
        if l.contains('#') && (*l != "#" || i + 1 != levels.len()) {
            return Err("'#' only as the whole last level".into());
        }
        if l.contains('+') && *l != "+" {
            return Err("'+' only as a whole level".into());
        }
    }
    if f.starts_with("$share/") {
        return Err("no $share/ prefix: serve --share adds it".into());
    }
    Ok(())
}

fn default_modbus_port() -> u16 {
    502
}
fn default_unit() -> u8 {
    1
}
fn default_poll_s() -> f64 {
    5.0
}
fn default_timeout_ms() -> u32 {
    1000
}
fn default_scale() -> f64 {
    1.0
}

fn default_park_id() -> String {
    String::from("park")
}

impl Default for Live {
    fn default() -> Self {
        Live {
            park_id: default_park_id(),
            topic_prefix: None,
            raw_retention_days: None,
            modbus: Vec::new(),
            mapping: Vec::new(),
        }
    }
}

impl Live {
    /// The topic prefix: `topic_prefix`, else `parkgrid/<park_id>`.
    pub fn topic_prefix(&self) -> String {
        self.topic_prefix
            .clone()
            .unwrap_or_else(|| format!("parkgrid/{}", self.park_id))
    }

    /// Checks the devices and mappings against the park's element ids (`ids`: assets and
    /// branches).
    pub(crate) fn check_devices(&self, ids: &HashSet<&str>, cx: &mut Cx, at: &FieldPath) {
        for (i, m) in self.mapping.iter().enumerate() {
            let at = at.key("mapping").index(i);
            if let Err(why) = check_filter(&m.topic) {
                cx.error(
                    &at,
                    "topic",
                    format!("'{}' is not a topic filter: {why}", m.topic),
                );
            }
            if m.time_field.is_empty() {
                cx.error(&at, "time_field", "the field holding the time is needed");
            }
            if m.field.is_empty() {
                cx.error(
                    &at,
                    "field",
                    "a mapping takes at least one field ([[live.mapping.field]])",
                );
            }
            for (j, f) in m.field.iter().enumerate() {
                let at = at.key("field").index(j);
                if f.field.is_empty() || f.field.split('.').any(str::is_empty) {
                    cx.error(
                        &at,
                        "field",
                        format!("'{}' is not a field path (keys joined by '.')", f.field),
                    );
                }
                if !ids.contains(f.asset.as_str()) {
                    cx.error(
                        &at,
                        "asset",
                        format!("no asset or branch '{}' in the park", f.asset),
                    );
                }
                check_quantity(&f.quantity, cx, &at);
                if !f.scale.is_finite() || f.scale == 0.0 {
                    cx.error(
                        &at,
                        "scale",
                        format!("scale must be finite and not 0, got {}", f.scale),
                    );
                }
            }
        }
        let mut devices = HashSet::new();
        let mut series: HashMap<(&str, &str), FieldPath> = HashMap::new();
        for (i, d) in self.modbus.iter().enumerate() {
            let at = at.key("modbus").index(i);
            if !devices.insert(d.id.as_str()) {
                cx.error(&at, "id", format!("duplicate device id '{}'", d.id));
            }
            if d.host.trim().is_empty() {
                cx.error(&at, "host", "a device needs a host name or address");
            }
            if d.port == 0 {
                cx.error(&at, "port", "port 0 is not a port");
            }
            if d.unit > 247 {
                cx.error(
                    &at,
                    "unit",
                    format!("unit {} is not a Modbus unit id (0–247)", d.unit),
                );
            }
            cx.positive(&at, "poll_s", d.poll_s);
            if d.poll_s > 86_400.0 {
                cx.error(
                    &at,
                    "poll_s",
                    format!("poll_s {}: at most a day (86400)", d.poll_s),
                );
            }
            if d.timeout_ms == 0 {
                cx.error(&at, "timeout_ms", "a timeout of 0 ms loses every reply");
            }
            let mut spans: Vec<(u32, u32, FieldPath)> = Vec::new();
            for (j, r) in d.register.iter().enumerate() {
                let at = at.key("register").index(j);
                let end = u32::from(r.address) + u32::from(r.ty.registers());
                if end > 65_536 {
                    cx.error(
                        &at,
                        "address",
                        format!(
                            "a {} at {} runs past register 65535",
                            r.ty.as_str(),
                            r.address
                        ),
                    );
                }
                if let Some((_, _, other)) = spans
                    .iter()
                    .find(|(a, b, _)| u32::from(r.address) < *b && end > *a)
                {
                    let these = if end - 1 == u32::from(r.address) {
                        format!("register {}", r.address)
                    } else {
                        format!("registers {}–{}", r.address, end - 1)
                    };
                    cx.error(
                        &at,
                        "address",
                        format!("{these} overlaps the registers of {other}"),
                    );
                }
                spans.push((u32::from(r.address), end, at.clone()));
                if !r.scale.is_finite() || r.scale == 0.0 {
                    cx.error(
                        &at,
                        "scale",
                        format!("scale must be finite and not 0, got {}", r.scale),
                    );
                }
                if !r.offset.is_finite() {
                    cx.error(&at, "offset", "offset must be finite");
                }
                if let (Some(lo), Some(hi)) = (r.min, r.max) {
                    if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
                        cx.error(&at, "max", format!("max {hi} must be above min {lo}"));
                    }
                }
                if !ids.contains(r.asset.as_str()) {
                    cx.error(
                        &at,
                        "asset",
                        format!("no asset or branch '{}' in the park", r.asset),
                    );
                }
                let q = &r.quantity;
                check_quantity(q, cx, &at);
                if let Some(first) = series.insert((r.asset.as_str(), q.as_str()), at.clone()) {
                    cx.error(
                        &at,
                        "quantity",
                        format!("{}/{q} is read already by {first}", r.asset),
                    );
                }
            }
        }
    }

    pub(crate) fn check(&self, cx: &mut Cx, at: &FieldPath) {
        if let Some(days) = self.raw_retention_days {
            if !(days.is_finite() && days * 96.0 >= 1.0) {
                cx.error(
                    at,
                    "raw_retention_days",
                    format!("raw_retention_days {days}: keep raw points at least 15 minutes (0.0105 days)"),
                );
            }
        }
        let id = &self.park_id;
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            cx.error(
                at,
                "park_id",
                format!("'{id}' is not a valid park id: 1–64 letters, digits, '_' and '-'"),
            );
        }
        if let Some(p) = &self.topic_prefix {
            if p.is_empty()
                || p.contains(['+', '#', '\0'])
                || p.starts_with('/')
                || p.ends_with('/')
                || p.len() > 256
            {
                cx.error(
                    at,
                    "topic_prefix",
                    format!(
                        "'{p}' is not a topic prefix: a non-empty MQTT topic of at most 256 \
                         characters, without wildcards ('+', '#') and without a leading or \
                         trailing '/'"
                    ),
                );
            }
        }
    }
}
