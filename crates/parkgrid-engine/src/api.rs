//! What the live park answers to people and other systems, whoever asks and however (the REST
//! server calls it; so may any other front end): who a token belongs to and what its role may
//! see, and the park, its series, meters and tenants as that role sees them. Feature `live`.
//!
//! **Tokens.** `pgt_` and 64 hex digits: 256 bits from the operating system's random source,
//! shown once when made; the store keeps only their SHA-256 ([`parkgrid_store::TokenRecord`]) —
//! a token of 256 random bits cannot be guessed from its hash, so no slow hash is needed.
//!
//! **Roles** ([`Role`]): `admin` (everything, tokens included), `operator` (the whole park,
//! read), `auditor` (the whole park, read only, and the token list without hashes), `tenant`
//! (the park's name, its own tenant record, its own meters, their intervals and the series of
//! its meters and of the assets it owns — nothing of other tenants, and not the network),
//! `device` (publishes telemetry; reads nothing here). A refusal is [`ApiError::Forbidden`]; a
//! tenant asking for another tenant's meter gets [`ApiError::NotFound`], as if it did not exist.
//!
//! **Limits.** Lists are pages of at most [`MAX_PAGE`] items; a raw window spans at most
//! [`MAX_RAW_SPAN_MS`] (31 days) and returns at most [`MAX_POINTS`] points, a 15-minute or
//! hourly window at most 366 days, a daily one 10 years — beyond, [`ApiError::Invalid`] names
//! the field.

use std::sync::{Mutex, PoisonError};

use parkgrid_model::Park;
use parkgrid_model::tenant::MeterCarrier;
use parkgrid_store::meter::{Interval, MeterSpec};
use parkgrid_store::rollup::Resolution;
use parkgrid_store::{PointStore, Quality, SeriesMeta, StoreError, TokenRecord};
use sha2::{Digest, Sha256};

use crate::EngineError;

pub use parkgrid_store::meter::Kind as IntervalKind;
pub use parkgrid_store::{Alarm, Quality as PointQuality, TokenRecord as Token};

/// The most items a list returns at once.
pub const MAX_PAGE: usize = 1000;
/// The longest raw window, ms (31 days).
pub const MAX_RAW_SPAN_MS: i64 = 31 * 86_400_000;
/// The longest 15-minute or hourly window, ms (366 days).
pub const MAX_ROLLUP_SPAN_MS: i64 = 366 * 86_400_000;
/// The longest daily window, ms (ten years).
pub const MAX_DAY_SPAN_MS: i64 = 3660 * 86_400_000;
/// The most points one raw window returns.
pub const MAX_POINTS: usize = 100_000;
/// The prefix of every token.
pub const TOKEN_PREFIX: &str = "pgt_";

/// What a token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, tokens included.
    Admin,
    /// The whole park, read (setpoints and alarms when they come).
    Operator,
    /// Only its own tenant's meters, series and invoices.
    Tenant,
    /// The whole park, read only, and the tokens without their hashes.
    Auditor,
    /// Publishes telemetry; reads nothing.
    Device,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Operator,
        Role::Tenant,
        Role::Auditor,
        Role::Device,
    ];

    /// Its name: `admin`, `operator`, `tenant`, `auditor`, `device`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Tenant => "tenant",
            Role::Auditor => "auditor",
            Role::Device => "device",
        }
    }

    /// Whether it reads the whole park (not only its own tenant's part).
    fn reads_park(self) -> bool {
        matches!(self, Role::Admin | Role::Operator | Role::Auditor)
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                format!("'{s}' is not a role: admin, operator, tenant, auditor or device")
            })
    }
}

/// Who is asking: the token's id, role and tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's public id.
    pub token_id: String,
    /// Its role.
    pub role: Role,
    /// The tenant of a `tenant` token.
    pub tenant: Option<String>,
}

/// Why a request is not answered.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, or one that is malformed, unknown, expired or revoked.
    #[error("{0}")]
    Unauthenticated(String),
    /// The token's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing (or none this token may see).
    #[error("{0}")]
    NotFound(String),
    /// An argument that cannot be used, with the field it came in.
    #[error("{field}: {detail}")]
    Invalid {
        /// The request's field (query parameter, body field, path segment).
        field: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The store cannot be reached or failed: the machine's, not the caller's.
    #[error("the store: {0}")]
    Unavailable(String),
    /// Another run is under way (a year's dispatch takes the machine; one at a time).
    #[error("{0}")]
    Busy(String),
}

impl ApiError {
    fn invalid(field: &str, detail: impl Into<String>) -> Self {
        ApiError::Invalid {
            field: field.to_string(),
            detail: detail.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UnknownSeries(name) => ApiError::NotFound(format!("no series '{name}'")),
            other => ApiError::Unavailable(other.to_string()),
        }
    }
}

/// A page of a list: `offset` items skipped, at most `limit` (≤ [`MAX_PAGE`]) returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Items skipped.
    pub offset: usize,
    /// Items returned at most.
    pub limit: usize,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            offset: 0,
            limit: 100,
        }
    }
}

/// One page of a list, with the list's length.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The list's length.
    pub total: usize,
    /// Items skipped.
    pub offset: usize,
    /// The page's limit.
    pub limit: usize,
}

impl PageRequest {
    /// `items` cut to this page.
    ///
    /// # Errors
    /// [`ApiError::Invalid`] for a limit of 0 or above [`MAX_PAGE`].
    pub fn of<T>(self, items: Vec<T>) -> Result<Page<T>, ApiError> {
        if self.limit == 0 || self.limit > MAX_PAGE {
            return Err(ApiError::invalid(
                "limit",
                format!("must be 1 to {MAX_PAGE}, got {}", self.limit),
            ));
        }
        let total = items.len();
        let items = items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect();
        Ok(Page {
            items,
            total,
            offset: self.offset,
            limit: self.limit,
        })
    }
}

/// The park as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParkSummary {
    /// The live park's id (`[live] park_id`).
    pub park_id: String,
    /// The site's name.
    pub name: String,
    /// The site's IANA time zone.
    pub time_zone: String,
    /// Steps of the plan, minutes.
    pub step_min: u32,
    /// Counts (0 for a tenant, who does not see the park's parts).
    pub buses: usize,
    /// Assets.
    pub assets: usize,
    /// Lines, transformers and converters.
    pub branches: usize,
    /// Tenants.
    pub tenants: usize,
    /// Meters.
    pub meters: usize,
}

/// A bus.
#[derive(Debug, Clone, PartialEq)]
pub struct BusInfo {
    /// Its id.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// `ac`, `dc`, `heat`, `waste_heat` or `cold`.
    pub carrier: String,
    /// Nominal voltage, kV (electric buses).
    pub v_nom_kv: Option<f64>,
}

/// An asset.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetInfo {
    /// Its id.
    pub id: String,
    /// Its kind, as its table in the park file (`pv`, `battery`, …).
    pub kind: String,
    /// The buses it connects to, by port (`bus`, `heat_bus`, …).
    pub ports: Vec<(String, String)>,
    /// The tenant owning it.
    pub tenant: Option<String>,
}

/// A line, transformer or converter.
#[derive(Debug, Clone, PartialEq)]
pub struct BranchInfo {
    /// Its id.
    pub id: String,
    /// `line`, `transformer` or `converter`.
    pub kind: String,
    /// One end (a line's from bus, a transformer's HV bus, a converter's from bus).
    pub from_bus: String,
    /// The other end.
    pub to_bus: String,
    /// Whether it is in service.
    pub in_service: bool,
}

/// A tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantInfo {
    /// Its id.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Its meters' ids.
    pub meters: Vec<String>,
}

/// A meter.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterInfo {
    /// Its id.
    pub id: String,
    /// The tenant it bills.
    pub tenant: String,
    /// `electricity`, `heat` or `cooling`.
    pub carrier: String,
    /// The assets it measures.
    pub assets: Vec<String>,
    /// The series of its cumulative register (`<park>/meter/<id>/e_kwh`, …).
    pub register: String,
}

/// A series the store has.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesInfo {
    /// Its name (`<park>/<asset>/<quantity>`).
    pub name: String,
    /// The asset (or branch, or `meter`).
    pub asset: String,
    /// The quantity (`p_kw`, `soc`, …).
    pub quantity: String,
    /// Its unit.
    pub unit: String,
}

impl From<SeriesMeta> for SeriesInfo {
    fn from(m: SeriesMeta) -> Self {
        SeriesInfo {
            name: m.name,
            asset: m.asset,
            quantity: m.quantity,
            unit: m.unit,
        }
    }
}

/// A window's resolution: the points as stored, or the rollups' buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowResolution {
    /// Every stored point.
    Raw,
    /// An aggregate bucket.
    Rollup(Resolution),
}

impl std::str::FromStr for WindowResolution {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "raw" => Ok(WindowResolution::Raw),
            "15min" => Ok(WindowResolution::Rollup(Resolution::Min15)),
            "hour" => Ok(WindowResolution::Rollup(Resolution::Hour)),
            "day" => Ok(WindowResolution::Rollup(Resolution::Day)),
            _ => Err(format!(
                "'{s}' is not a resolution: raw, 15min, hour or day"
            )),
        }
    }
}

/// One value of a window: a stored point, or a bucket's mean with its count, least and greatest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowValue {
    /// The point's time or the bucket's start, UTC epoch ms.
    pub time_ms: i64,
    /// The point's value or the bucket's mean (`None`: a point stored without a number).
    pub value: Option<f64>,
    /// The point's quality (`good`, `suspect`, `bad`); buckets hold good points.
    pub quality: Quality,
    /// Points in the bucket (1 for a raw point).
    pub n: i64,
    /// The bucket's least and greatest (the value, for a raw point).
    pub min: Option<f64>,
    /// The bucket's greatest.
    pub max: Option<f64>,
}

/// A window of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The series.
    pub series: String,
    /// Its unit.
    pub unit: String,
    /// Its values in time order.
    pub values: Vec<WindowValue>,
    /// Where to start the next request when the window was cut at [`MAX_POINTS`].
    pub next_from_ms: Option<i64>,
}

/// The latest good value of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Latest {
    /// The series.
    pub series: String,
    /// Its unit.
    pub unit: String,
    /// The point's time, UTC epoch ms (`None`: no good point yet).
    pub time_ms: Option<i64>,
    /// Its value.
    pub value: Option<f64>,
}

/// A meter's consumption intervals in a window.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterIntervals {
    /// The meter.
    pub meter: String,
    /// Its register's series.
    pub register: String,
    /// The intervals ending in the window, in time order.
    pub intervals: Vec<Interval>,
    /// Energy of the intervals whose energy is known, in the register's unit (kWh).
    pub energy_kwh: f64,
    /// Intervals whose energy is not known (a reset, a replacement, a gap).
    pub unknown: usize,
}

/// The live park's answers, on one store.
pub struct Api {
    park: Park,
    db: String,
    runs: crate::runs::Runs,
    /// Store connections not in use, and how many are open in all: at most [`MAX_CONNECTIONS`]
    /// (a request waits for one rather than open more; the ingester keeps its own).
    pool: Mutex<(Vec<Box<dyn PointStore + Send>>, usize)>,
    freed: std::sync::Condvar,
}

/// The most store connections the API holds at once.
pub const MAX_CONNECTIONS: usize = 8;

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("park_id", &self.park.live.park_id)
            .field("db", &self.db)
            .finish()
    }
}

/// SHA-256 of `text` in lower-case hex.
fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Api {
    /// The API of `park` on the store `db` (`sqlite:FILE` or a PostgreSQL connection string,
    /// as [`crate::live::open_store`] takes it), opened once to check it.
    ///
    /// # Errors
    /// [`EngineError::Input`] for a `db` of no known form; [`EngineError::Live`] when the store
    /// cannot be opened.
    pub fn open(park: Park, db: &str) -> Result<Api, EngineError> {
        let store = crate::live::open_store(db, &park)?;
        Ok(Api {
            runs: crate::runs::Runs::new(std::sync::Arc::new(park.clone())),
            park,
            db: db.to_string(),
            pool: Mutex::new((vec![store], 1)),
            freed: std::sync::Condvar::new(),
        })
    }

    /// The park.
    pub fn park(&self) -> &Park {
        &self.park
    }

    /// Runs `f` on a store connection from the pool: a free one, a new one while fewer than
    /// [`MAX_CONNECTIONS`] are open, or the next one given back (waiting up to 10 s).
    fn with_store<T>(
        &self,
        f: impl FnOnce(&mut dyn PointStore) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let lock = || self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        let taken = {
            let mut pool = lock();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                if let Some(s) = pool.0.pop() {
                    break Some(s);
                }
                if pool.1 < MAX_CONNECTIONS {
                    pool.1 += 1;
                    break None;
                }
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    return Err(ApiError::Unavailable(format!(
                        "all {MAX_CONNECTIONS} store connections busy for 10 s"
                    )));
                }
                pool = self
                    .freed
                    .wait_timeout(pool, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        };
        let mut store = match taken {
            Some(s) => s,
            None => match crate::live::open_store(&self.db, &self.park) {
                Ok(s) => s,
                Err(e) => {
                    lock().1 -= 1;
                    self.freed.notify_one();
                    return Err(ApiError::Unavailable(e.to_string()));
                }
            },
        };
        let out = f(store.as_mut());
        let mut pool = lock();
        // A connection that failed is dropped, not pooled: the next request opens a fresh one.
        if matches!(out, Err(ApiError::Unavailable(_))) {
            pool.1 -= 1;
        } else {
            pool.0.push(store);
        }
        drop(pool);
        self.freed.notify_one();
        out
    }

    /// Makes a token of `role` (scoped to `tenant` for the role `tenant`), valid until
    /// `expires_ms` (`None`: until revoked); returns the token, shown this once, and what the
    /// store keeps.
    ///
    /// # Errors
    /// [`ApiError::Invalid`] for a tenant the park does not have, a `tenant` token without one
    /// or another role with one, an expiry not after `now_ms`; [`ApiError::Unavailable`] when
    /// the system's random source or the store fails.
    pub fn create_token(
        &self,
        role: Role,
        tenant: Option<&str>,
        label: &str,
        expires_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<(String, TokenRecord), ApiError> {
        match (role, tenant) {
            (Role::Tenant, None) => {
                return Err(ApiError::invalid(
                    "tenant",
                    "a tenant token names its tenant",
                ));
            }
            (Role::Tenant, Some(t)) if !self.park.tenant.iter().any(|x| x.id == t) => {
                let known: Vec<&str> = self.park.tenant.iter().map(|x| x.id.as_str()).collect();
                return Err(ApiError::invalid(
                    "tenant",
                    format!(
                        "no tenant '{t}' in the park (tenants: {})",
                        known.join(", ")
                    ),
                ));
            }
            (Role::Tenant, Some(_)) => {}
            (other, Some(_)) => {
                return Err(ApiError::invalid(
                    "tenant",
                    format!("only tenant tokens name a tenant, not {}", other.name()),
                ));
            }
            (_, None) => {}
        }
        if let Some(e) = expires_ms {
            if e <= now_ms {
                return Err(ApiError::invalid(
                    "expires",
                    "the expiry has passed already",
                ));
            }
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| ApiError::Unavailable(format!("the system's random source: {e}")))?;
        let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let token = format!("{TOKEN_PREFIX}{secret}");
        let hash = sha256_hex(&token);
        let record = TokenRecord {
            id: format!("tok_{}", &hash[..12]),
            sha256_hex: hash,
            role: role.name().to_string(),
            tenant: tenant.map(str::to_string),
            label: label.to_string(),
            created_ms: now_ms,
            expires_ms,
            revoked_ms: None,
        };
        self.with_store(|s| Ok(s.add_token(&record)?))?;
        Ok((token, record))
    }

    /// Who holds `token` at `now_ms`.
    ///
    /// # Errors
    /// [`ApiError::Unauthenticated`] for a token that is malformed, unknown, expired or
    /// revoked (the message never repeats the token); [`ApiError::Unavailable`].
    pub fn authenticate(&self, token: &str, now_ms: i64) -> Result<Principal, ApiError> {
        let well_formed = token
            .strip_prefix(TOKEN_PREFIX)
            .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        if !well_formed {
            return Err(ApiError::Unauthenticated(format!(
                "the token is not a parkgrid token ({TOKEN_PREFIX} and 64 hex digits)"
            )));
        }
        let hash = sha256_hex(token);
        let record = self
            .with_store(|s| Ok(s.token_by_hash(&hash)?))?
            .ok_or_else(|| ApiError::Unauthenticated("unknown token".into()))?;
        if record.revoked_ms.is_some() {
            return Err(ApiError::Unauthenticated(format!(
                "token {} was revoked",
                record.id
            )));
        }
        if record.expires_ms.is_some_and(|e| e <= now_ms) {
            return Err(ApiError::Unauthenticated(format!(
                "token {} has expired",
                record.id
            )));
        }
        let role = record
            .role
            .parse::<Role>()
            .map_err(|e| ApiError::Unavailable(format!("token {} in the store: {e}", record.id)))?;
        Ok(Principal {
            token_id: record.id,
            role,
            tenant: record.tenant,
        })
    }

    /// Every token, without its hash (admin and auditor).
    ///
    /// # Errors
    /// [`ApiError::Forbidden`]; [`ApiError::Unavailable`].
    pub fn tokens(&self, who: &Principal) -> Result<Vec<TokenRecord>, ApiError> {
        if !matches!(who.role, Role::Admin | Role::Auditor) {
            return Err(forbidden(who, "list tokens"));
        }
        let mut all = self.with_store(|s| Ok(s.tokens()?))?;
        for t in &mut all {
            t.sha256_hex.clear();
        }
        Ok(all)
    }

    /// Makes a token (admin only; see [`Api::create_token`]).
    ///
    /// # Errors
    /// [`ApiError::Forbidden`], and those of [`Api::create_token`].
    pub fn issue_token(
        &self,
        who: &Principal,
        role: Role,
        tenant: Option<&str>,
        label: &str,
        expires_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<(String, TokenRecord), ApiError> {
        if who.role != Role::Admin {
            return Err(forbidden(who, "make tokens"));
        }
        self.create_token(role, tenant, label, expires_ms, now_ms)
    }

    /// Revokes the token `id` (admin only).
    ///
    /// # Errors
    /// [`ApiError::Forbidden`]; [`ApiError::NotFound`] for no such token or one revoked
    /// already; [`ApiError::Unavailable`].
    pub fn revoke_token(&self, who: &Principal, id: &str, now_ms: i64) -> Result<(), ApiError> {
        if who.role != Role::Admin {
            return Err(forbidden(who, "revoke tokens"));
        }
        if self.with_store(|s| Ok(s.revoke_token(id, now_ms)?))? {
            Ok(())
        } else {
            Err(ApiError::NotFound(format!(
                "no token '{id}' that is not revoked already"
            )))
        }
    }

    /// The park's summary (every role but `device`; a tenant sees its name and time zone, no
    /// counts).
    ///
    /// # Errors
    /// [`ApiError::Forbidden`] for a device.
    pub fn summary(&self, who: &Principal) -> Result<ParkSummary, ApiError> {
        reads(who, "read the park")?;
        let p = &self.park;
        let whole = who.role.reads_park();
        let n = |k: usize| if whole { k } else { 0 };
        Ok(ParkSummary {
            park_id: p.live.park_id.clone(),
            name: p.site.name.clone(),
            time_zone: p.site.time_zone.name().to_string(),
            step_min: p.time.step_min,
            buses: n(p.bus.len()),
            assets: n(p.assets().count()),
            branches: n(p.line.len() + p.transformer.len() + p.converter.len()),
            tenants: n(p.tenant.len()),
            meters: n(p.meter.len()),
        })
    }

    /// The park's buses (the whole-park roles).
    ///
    /// # Errors
    /// [`ApiError::Forbidden`]; [`ApiError::Invalid`] for a page beyond the limits.
    pub fn buses(&self, who: &Principal, page: PageRequest) -> Result<Page<BusInfo>, ApiError> {
        whole_park(who, "read the buses")?;
        page.of(self
            .park
            .bus
            .iter()
            .map(|b| BusInfo {
                id: b.id.clone(),
                name: b.name.clone(),
                carrier: b.carrier.as_str().to_string(),
                v_nom_kv: b.v_nom_kv,
            })
            .collect())
    }

    /// The park's assets (the whole-park roles).
    ///
    /// # Errors
    /// [`ApiError::Forbidden`]; [`ApiError::Invalid`] for a page beyond the limits.
    pub fn assets(&self, who: &Principal, page: PageRequest) -> Result<Page<AssetInfo>, ApiError> {
        whole_park(who, "read the assets")?;
        page.of(self
            .park
            .assets()
            .map(|(_, a)| {
                let s = a.spec();
                AssetInfo {
                    id: s.id().to_string(),
                    kind: s.kind().key().to_string(),
                    ports: s
                        .ports()
                        .iter()
                        .map(|p| (p.field.to_string(), p.bus.to_string()))
                        .collect(),
                    tenant: s.tenant().map(str::to_string),
                }
            })
            .collect())
    }

    /// The park's lines, transformers and converters (the whole-park roles).
    ///
    /// # Errors
    /// [`ApiError::Forbidden`]; [`ApiError::Invalid`] for a page beyond the limits.
    pub fn branches(
        &self,
        who: &Principal,
        page: PageRequest,
    ) -> Result<Page<BranchInfo>, ApiError> {
        whole_park(who, "read the network")?;
        let p = &self.park;
        let lines = p.line.iter().map(|l| BranchInfo {
            id: l.id.clone(),
            kind: "line".into(),
            from_bus: l.from_bus.clone(),
            to_bus: l.to_bus.clone(),
            in_service: l.in_service,
        });
        let transformers = p.transformer.iter().map(|t| BranchInfo {
            id: t.id.clone(),
            kind: "transformer".into(),
            from_bus: t.hv_bus.clone(),
            to_bus: t.lv_bus.clone(),
            in_service: t.in_service,
        });
        let converters = p.converter.iter().map(|c| BranchInfo {
            id: c.id.clone(),
            kind: "converter".into(),
            from_bus: c.from_bus.clone(),
            to_bus: c.to_bus.clone(),
            in_service: c.in_service,
        });
        page.of(lines.chain(transformers).chain(converters).collect())
    }

    /// The tenants this principal may see: all of them, or its own.
    ///
    /// # Errors
    /// [`ApiError::Forbidden`] for a device.
    pub fn tenants(
        &self,
        who: &Principal,
        page: PageRequest,
    ) -> Result<Page<TenantInfo>, ApiError> {
        reads(who, "read tenants")?;
        page.of(self
            .park
            .tenant
            .iter()
            .filter(|t| self.sees_tenant(who, &t.id))
            .map(|t| TenantInfo {
                id: t.id.clone(),
                name: t.name.clone(),
                meters: self
                    .park
                    .meter
                    .iter()
                    .filter(|m| m.tenant == t.id)
                    .map(|m| m.id.clone())
                    .collect(),
            })
            .collect())
    }

    /// The meters this principal may see.
    ///
    /// # Errors
    /// [`ApiError::Forbidden`] for a device.
    pub fn meters(&self, who: &Principal, page: PageRequest) -> Result<Page<MeterInfo>, ApiError> {
        reads(who, "read meters")?;
        page.of(self
            .park
            .meter
            .iter()
            .filter(|m| self.sees_tenant(who, &m.tenant))
            .map(|m| self.meter_info(m))
            .collect())
    }

    fn meter_info(&self, m: &parkgrid_model::Meter) -> MeterInfo {
        MeterInfo {
            id: m.id.clone(),
            tenant: m.tenant.clone(),
            carrier: match m.carrier {
                MeterCarrier::Electricity => "electricity",
                MeterCarrier::Heat => "heat",
                MeterCarrier::Cooling => "cooling",
            }
            .to_string(),
            assets: m.assets.clone(),
            register: format!(
                "{}/meter/{}/{}",
                self.park.live.park_id,
                m.id,
                m.carrier.register_quantity()
            ),
        }
    }

    /// The consumption intervals of meter `id` ending in `(from_ms, to_ms]`.
    ///
    /// # Errors
    /// [`ApiError::NotFound`] for a meter the park does not have or this principal may not
    /// see; [`ApiError::Invalid`] for a window that is empty or longer than 366 days;
    /// [`ApiError::Forbidden`] for a device; [`ApiError::Unavailable`].
    pub fn meter_intervals(
        &self,
        who: &Principal,
        id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<MeterIntervals, ApiError> {
        reads(who, "read meters")?;
        let meter = self
            .park
            .meter
            .iter()
            .find(|m| m.id == id && self.sees_tenant(who, &m.tenant))
            .ok_or_else(|| ApiError::NotFound(format!("no meter '{id}'")))?;
        span(from_ms, to_ms, MAX_ROLLUP_SPAN_MS)?;
        let info = self.meter_info(meter);
        let derived = self.with_store(|s| {
            Ok(s.meter_intervals(&info.register, from_ms, to_ms, &MeterSpec::default())?)
        })?;
        // From +0.0 (an empty sum of floats is −0.0).
        let energy_kwh = derived
            .intervals
            .iter()
            .filter_map(|i| i.energy)
            .fold(0.0, |a, e| a + e);
        let unknown = derived
            .intervals
            .iter()
            .filter(|i| i.energy.is_none())
            .count();
        Ok(MeterIntervals {
            meter: meter.id.clone(),
            register: info.register,
            intervals: derived.intervals,
            energy_kwh,
            unknown,
        })
    }

    /// Whether `who` may see what belongs to tenant `tenant`.
    fn sees_tenant(&self, who: &Principal, tenant: &str) -> bool {
        who.role.reads_park() || (who.role == Role::Tenant && who.tenant.as_deref() == Some(tenant))
    }

    /// Whether `who` may see the series `name` (of `asset`): the whole-park roles every one, a
    /// tenant those of its meters and of the assets it owns.
    fn sees_series(&self, who: &Principal, meta: &SeriesMeta) -> bool {
        if who.role.reads_park() {
            return true;
        }
        let Some(tenant) = who.tenant.as_deref().filter(|_| who.role == Role::Tenant) else {
            return false;
        };
        let prefix = format!("{}/meter/", self.park.live.park_id);
        if let Some(rest) = meta.name.strip_prefix(&prefix) {
            let meter = rest.split('/').next().unwrap_or("");
            return self
                .park
                .meter
                .iter()
                .any(|m| m.id == meter && m.tenant == tenant);
        }
        self.park
            .assets()
            .any(|(_, a)| a.spec().id() == meta.asset && a.spec().tenant() == Some(tenant))
    }

    /// The series this principal may see, by name.
    ///
    /// # Errors
    /// [`ApiError::Forbidden`] for a device; [`ApiError::Invalid`]; [`ApiError::Unavailable`].
    pub fn series(&self, who: &Principal, page: PageRequest) -> Result<Page<SeriesInfo>, ApiError> {
        reads(who, "read series")?;
        let all = self.with_store(|s| Ok(s.all_series()?))?;
        page.of(all
            .into_iter()
            .filter(|(_, m)| self.sees_series(who, m))
            .map(|(_, m)| m.into())
            .collect())
    }

    /// The series `name` and its id, if this principal may see it.
    fn visible(
        &self,
        who: &Principal,
        store: &mut dyn PointStore,
        name: &str,
    ) -> Result<(i64, SeriesMeta), ApiError> {
        // One lookup by name; the list is read only to find the metadata (it is small: one row
        // per measured quantity of the park).
        let id = store.series_id(name)?;
        let meta = store
            .all_series()?
            .into_iter()
            .find(|(i, _)| *i == id)
            .map(|(_, m)| m)
            .ok_or_else(|| ApiError::NotFound(format!("no series '{name}'")))?;
        if !self.sees_series(who, &meta) {
            return Err(ApiError::NotFound(format!("no series '{name}'")));
        }
        Ok((id, meta))
    }

    /// The values of series `name` in `[from_ms, to_ms)` at `resolution`.
    ///
    /// # Errors
    /// [`ApiError::NotFound`] for a series the store does not have or this principal may not
    /// see; [`ApiError::Invalid`] for a window that is empty or too long for its resolution;
    /// [`ApiError::Forbidden`] for a device; [`ApiError::Unavailable`].
    pub fn window(
        &self,
        who: &Principal,
        name: &str,
        from_ms: i64,
        to_ms: i64,
        resolution: WindowResolution,
    ) -> Result<Window, ApiError> {
        reads(who, "read series")?;
        let longest = match resolution {
            WindowResolution::Raw => MAX_RAW_SPAN_MS,
            WindowResolution::Rollup(Resolution::Day) => MAX_DAY_SPAN_MS,
            WindowResolution::Rollup(_) => MAX_ROLLUP_SPAN_MS,
        };
        span(from_ms, to_ms, longest)?;
        self.with_store(|s| {
            let (id, meta) = self.visible(who, s, name)?;
            let (values, next_from_ms) = match resolution {
                WindowResolution::Raw => {
                    let mut points = s.window(id, from_ms, to_ms)?;
                    let next = (points.len() > MAX_POINTS).then(|| points[MAX_POINTS].time_ms);
                    points.truncate(MAX_POINTS);
                    let values = points
                        .iter()
                        .map(|p| {
                            let v = p.value.is_finite().then_some(p.value);
                            WindowValue {
                                time_ms: p.time_ms,
                                value: v,
                                quality: p.quality,
                                n: 1,
                                min: v,
                                max: v,
                            }
                        })
                        .collect();
                    (values, next)
                }
                WindowResolution::Rollup(r) => {
                    let buckets = s.aggregate(id, from_ms, to_ms, r)?;
                    let values = buckets
                        .iter()
                        .map(|b| WindowValue {
                            time_ms: b.start_ms,
                            value: Some(b.mean()),
                            quality: Quality::Good,
                            n: b.n,
                            min: Some(b.min),
                            max: Some(b.max),
                        })
                        .collect();
                    (values, None)
                }
            };
            Ok(Window {
                series: meta.name,
                unit: meta.unit,
                values,
                next_from_ms,
            })
        })
    }

    /// The latest good value of each series this principal may see (a page of them, by name),
    /// or of the series `names`.
    ///
    /// # Errors
    /// [`ApiError::NotFound`] for a named series that is not there or not visible;
    /// [`ApiError::Forbidden`] for a device; [`ApiError::Invalid`]; [`ApiError::Unavailable`].
    pub fn latest(
        &self,
        who: &Principal,
        names: Option<&[String]>,
        page: PageRequest,
    ) -> Result<Page<Latest>, ApiError> {
        reads(who, "read series")?;
        self.with_store(|s| {
            let all = s.all_series()?;
            let chosen: Vec<(i64, SeriesMeta)> = match names {
                None => all
                    .into_iter()
                    .filter(|(_, m)| self.sees_series(who, m))
                    .collect(),
                Some(names) => {
                    let mut out = Vec::with_capacity(names.len());
                    for n in names {
                        let found = all
                            .iter()
                            .find(|(_, m)| &m.name == n && self.sees_series(who, m))
                            .cloned()
                            .ok_or_else(|| ApiError::NotFound(format!("no series '{n}'")))?;
                        out.push(found);
                    }
                    out
                }
            };
            let page = page.of(chosen)?;
            let mut items = Vec::with_capacity(page.items.len());
            for (id, meta) in page.items {
                let p = s.latest(id)?;
                items.push(Latest {
                    series: meta.name,
                    unit: meta.unit,
                    time_ms: p.map(|p| p.time_ms),
                    value: p.map(|p| p.value).filter(|v| v.is_finite()),
                });
            }
            Ok(Page {
                items,
                total: page.total,
                offset: page.offset,
                limit: page.limit,
            })
        })
    }
}

impl Api {
    /// The alarms, the open ones first, then the newest: at most 1,000 (the whole-park roles; a
    /// tenant's and a device's token are refused).
    ///
    /// # Errors
    /// [`ApiError::Forbidden`]; [`ApiError::Unavailable`].
    pub fn alarms(&self, who: &Principal) -> Result<Vec<Alarm>, ApiError> {
        whole_park(who, "read alarms")?;
        self.with_store(|s| Ok(s.alarms(i64::MIN, MAX_PAGE)?))
    }

    /// Acknowledges alarm `id`, or shelves it for `shelve_min` minutes (admin and operator).
    ///
    /// # Errors
    /// [`ApiError::Forbidden`]; [`ApiError::NotFound`] for no such alarm; [`ApiError::Invalid`]
    /// for a shelving of no time or more than a week; [`ApiError::Unavailable`].
    pub fn act_on_alarm(
        &self,
        who: &Principal,
        id: i64,
        shelve_min: Option<u32>,
        now_ms: i64,
    ) -> Result<Alarm, ApiError> {
        if !matches!(who.role, Role::Admin | Role::Operator) {
            return Err(forbidden(who, "acknowledge or shelve alarms"));
        }
        let action = match shelve_min {
            None => parkgrid_store::AlarmAction::Acknowledge {
                by: who.token_id.clone(),
            },
            Some(m) if (1..=7 * 24 * 60).contains(&m) => parkgrid_store::AlarmAction::Shelve {
                by: who.token_id.clone(),
                until_ms: now_ms + i64::from(m) * 60_000,
            },
            Some(m) => {
                return Err(ApiError::invalid(
                    "minutes",
                    format!("shelve for 1 minute to a week (10080), not {m}"),
                ));
            }
        };
        self.with_store(|s| Ok(s.act_on_alarm(id, &action, now_ms)?))?
            .ok_or_else(|| ApiError::NotFound(format!("no alarm {id}")))
    }
}

impl Api {
    /// Starts a run of the park (admin, operator): the dispatch over `spec`'s days (or the
    /// year) through the engine, as `parkgrid simulate` runs it; its id.
    ///
    /// # Errors
    /// [`ApiError::Forbidden`]; [`ApiError::Busy`] while another runs; [`ApiError::Invalid`]
    /// for a window outside the park's year or too long.
    pub fn start_run(&self, who: &Principal, spec: crate::runs::RunSpec) -> Result<u64, ApiError> {
        if !matches!(who.role, Role::Admin | Role::Operator) {
            return Err(forbidden(who, "start runs"));
        }
        self.runs.start(spec, &who.token_id).map_err(|e| match e {
            crate::runs::StartError::Busy(id) => {
                ApiError::Busy(format!("run {id} is under way; one runs at a time"))
            }
            crate::runs::StartError::Invalid(d) => ApiError::invalid("from", d),
        })
    }

    /// The runs since the server started, newest first (the whole-park roles).
    ///
    /// # Errors
    /// [`ApiError::Forbidden`].
    pub fn runs(&self, who: &Principal) -> Result<Vec<crate::runs::RunInfo>, ApiError> {
        whole_park(who, "read runs")?;
        Ok(self.runs.list())
    }

    /// The run `id` (the whole-park roles).
    ///
    /// # Errors
    /// [`ApiError::Forbidden`]; [`ApiError::NotFound`].
    pub fn run(&self, who: &Principal, id: u64) -> Result<crate::runs::RunInfo, ApiError> {
        whole_park(who, "read runs")?;
        self.runs
            .get(id)
            .ok_or_else(|| ApiError::NotFound(format!("no run {id}")))
    }
}

fn forbidden(who: &Principal, what: &str) -> ApiError {
    ApiError::Forbidden(format!("a {} token may not {what}", who.role.name()))
}

/// Every role but `device` reads (each within its scope).
fn reads(who: &Principal, what: &str) -> Result<(), ApiError> {
    if who.role == Role::Device {
        return Err(forbidden(who, what));
    }
    Ok(())
}

/// Only the whole-park roles read the park's parts.
fn whole_park(who: &Principal, what: &str) -> Result<(), ApiError> {
    if !who.role.reads_park() {
        return Err(forbidden(who, what));
    }
    Ok(())
}

/// A window `[from_ms, to_ms)` that is not empty and at most `longest` long.
fn span(from_ms: i64, to_ms: i64, longest: i64) -> Result<(), ApiError> {
    if to_ms <= from_ms {
        return Err(ApiError::invalid(
            "to",
            "the window's end must be after its start",
        ));
    }
    if to_ms.saturating_sub(from_ms) > longest {
        return Err(ApiError::invalid(
            "to",
            format!(
                "the window spans more than {} days, the most at this resolution",
                longest / 86_400_000
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn park() -> Park {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/yanqing.toml");
        crate::park::load(&path).expect("yanqing").0
    }

    fn api(name: &str) -> Api {
        let dir = std::env::temp_dir().join(format!("parkgrid-api-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("store.sqlite");
        let _ = std::fs::remove_file(&path);
        Api::open(park(), &format!("sqlite:{}", path.display())).expect("opens")
    }

    #[test]
    fn tokens_authenticate_until_revoked_or_expired() {
        let api = api("tokens");
        let (token, record) = api
            .create_token(Role::Admin, None, "ops", None, 1_000)
            .expect("made");
        assert!(token.starts_with(TOKEN_PREFIX) && token.len() == 68);
        assert_ne!(record.sha256_hex, token, "the store keeps a hash");
        let who = api.authenticate(&token, 2_000).expect("known");
        assert_eq!((who.role, who.tenant.as_deref()), (Role::Admin, None));
        // Malformed, unknown, expired, revoked.
        for bad in [
            "",
            "Bearer x",
            "pgt_zz",
            &format!("{TOKEN_PREFIX}{}", "0".repeat(64)),
        ] {
            let e = api.authenticate(bad, 2_000).expect_err("refused");
            assert!(matches!(e, ApiError::Unauthenticated(_)), "{e}");
            assert!(
                bad.is_empty() || !e.to_string().contains(bad),
                "never echoed: {e}"
            );
        }
        let (short, _) = api
            .create_token(Role::Operator, None, "an hour", Some(3_600_000), 1_000)
            .expect("made");
        assert!(api.authenticate(&short, 3_599_999).is_ok());
        assert!(api.authenticate(&short, 3_600_000).is_err(), "expired");
        api.revoke_token(&who, &record.id, 5_000).expect("revoked");
        assert!(api.authenticate(&token, 6_000).is_err(), "revoked");
        // Tenants: a tenant token names a tenant of the park; other roles name none.
        let tenant = api.park().tenant[0].id.clone();
        assert!(api.create_token(Role::Tenant, None, "", None, 0).is_err());
        assert!(
            api.create_token(Role::Tenant, Some("nobody"), "", None, 0)
                .is_err()
        );
        assert!(
            api.create_token(Role::Auditor, Some(&tenant), "", None, 0)
                .is_err()
        );
        assert!(
            api.create_token(Role::Tenant, Some(&tenant), "", None, 0)
                .is_ok()
        );
    }

    #[test]
    fn a_tenant_sees_its_own_and_nothing_else() {
        let api = api("scope");
        let p = api.park();
        let (a, b) = (p.tenant[0].id.clone(), p.tenant[1].id.clone());
        let who = |role, tenant: Option<&str>| Principal {
            token_id: "t".into(),
            role,
            tenant: tenant.map(str::to_string),
        };
        let ta = who(Role::Tenant, Some(&a));
        let all = PageRequest::default();
        let meters = api.meters(&ta, all).expect("meters");
        assert!(meters.items.iter().all(|m| m.tenant == a) && meters.total > 0);
        assert_eq!(api.tenants(&ta, all).expect("tenants").items.len(), 1);
        assert!(matches!(api.buses(&ta, all), Err(ApiError::Forbidden(_))));
        let other = p.meter.iter().find(|m| m.tenant == b).expect("b's meter");
        assert!(matches!(
            api.meter_intervals(&ta, &other.id, 0, 86_400_000),
            Err(ApiError::NotFound(_))
        ));
        let op = who(Role::Operator, None);
        assert_eq!(api.meters(&op, all).expect("all").total, p.meter.len());
        let device = who(Role::Device, None);
        assert!(matches!(api.summary(&device), Err(ApiError::Forbidden(_))));
        // Limits: pages and windows.
        let huge = PageRequest {
            offset: 0,
            limit: MAX_PAGE + 1,
        };
        assert!(matches!(
            api.buses(&op, huge),
            Err(ApiError::Invalid { .. })
        ));
        let century = 100 * 366 * 86_400_000;
        let e = api
            .window(&op, "x", 0, century, WindowResolution::Raw)
            .expect_err("too long");
        assert!(
            matches!(e, ApiError::Invalid { ref field, .. } if field == "to"),
            "{e}"
        );
    }
}
