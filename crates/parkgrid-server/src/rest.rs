//! The REST API under `/api/v1`, described by the OpenAPI 3.1 document it serves at
//! `/api/v1/openapi.json` (generated from these handlers with `utoipa`: a route is in the
//! document exactly when it is served). Every route takes a bearer token
//! (`Authorization: Bearer pgt_…`) except the document; what a token's role sees is decided by
//! the engine ([`parkgrid_engine::api`]), not here.
//!
//! Errors have one shape, `{"error": "<kind>", "detail": "<what is wrong>", "field": "<the
//! request's field>" | null}`, with kinds `unauthenticated` (401), `forbidden` (403),
//! `not_found` (404), `invalid` (400), `method_not_allowed` (405), `too_large` (413),
//! `rate_limited` (429), `busy` (409) and `unavailable` (503); never an internal message (the
//! store's own words go to the server's log) or a panic.
//!
//! Times in queries are UTC epoch milliseconds or RFC 3339 (`2025-01-08T00:00:00+08:00`); in
//! answers, UTC epoch milliseconds (`time_ms`).

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use parkgrid_engine::api::{
    Alarm, Api, ApiError, IntervalKind, Page, PageRequest, PointQuality, Principal, Role, Token,
    WindowResolution,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Requests per second a token may make, sustained (bursts up to [`BURST`]).
pub const REQUESTS_PER_S: u32 = 200;
/// The burst a token may make at once (twice the rate).
pub const BURST: u32 = 2 * REQUESTS_PER_S;
/// The largest request body, bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What the API's handlers share.
#[derive(Clone)]
pub struct ApiState {
    api: Arc<Api>,
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
    /// Requests per second per token, as the limiter holds them (for its message).
    rate: u32,
}

impl ApiState {
    /// The state of the API on `api`, with the default rate limit per token
    /// ([`REQUESTS_PER_S`], bursts of [`BURST`]).
    pub fn new(api: Arc<Api>) -> Self {
        Self::limited(
            api,
            NonZeroU32::new(REQUESTS_PER_S).unwrap_or(NonZeroU32::MIN),
        )
    }

    /// The state of the API on `api`, each token allowed `per_s` requests a second sustained
    /// and bursts of twice as many.
    ///
    /// # Errors
    /// A message when `per_s` is 0.
    pub fn with_rate(api: Arc<Api>, per_s: u32) -> Result<Self, String> {
        let rate = NonZeroU32::new(per_s).ok_or("a token needs at least 1 request a second")?;
        Ok(Self::limited(api, rate))
    }

    fn limited(api: Arc<Api>, rate: NonZeroU32) -> Self {
        let burst = rate.saturating_mul(NonZeroU32::MIN.saturating_add(1));
        ApiState {
            api,
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            )),
            rate: rate.get(),
        }
    }
}

/// The error body: one shape for every refusal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// `unauthenticated`, `forbidden`, `not_found`, `invalid`, `method_not_allowed`,
    /// `too_large`, `busy`, `rate_limited` or `unavailable`.
    pub error: String,
    /// What is wrong, for people.
    pub detail: String,
    /// The request's field at fault (query parameter, body field, path segment), if one is.
    pub field: Option<String>,
}

/// A refusal as a response.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    body: ErrorBody,
}

impl Failure {
    fn new(
        status: StatusCode,
        error: &str,
        detail: impl Into<String>,
        field: Option<&str>,
    ) -> Self {
        Failure {
            status,
            body: ErrorBody {
                error: error.to_string(),
                detail: detail.into(),
                field: field.map(str::to_string),
            },
        }
    }

    fn invalid(field: Option<&str>, detail: impl Into<String>) -> Self {
        Failure::new(StatusCode::BAD_REQUEST, "invalid", detail, field)
    }

    fn unauthenticated(detail: impl Into<String>) -> Self {
        Failure::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail, None)
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthenticated(d) => Failure::unauthenticated(d),
            ApiError::Forbidden(d) => Failure::new(StatusCode::FORBIDDEN, "forbidden", d, None),
            ApiError::NotFound(d) => Failure::new(StatusCode::NOT_FOUND, "not_found", d, None),
            ApiError::Invalid { field, detail } => Failure::invalid(Some(&field), detail),
            ApiError::Unavailable(d) => {
                // The store's own words (which may name its address) go to the server's log,
                // never to the caller.
                eprintln!("serve: API: {d}");
                Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the store cannot answer now; the server's log says why",
                    None,
                )
            }
            ApiError::Busy(d) => Failure::new(StatusCode::CONFLICT, "busy", d, None),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

/// A rejection of axum's extractors in the one error shape.
fn rejected(status: StatusCode, text: String, field: Option<&str>) -> Failure {
    let (kind, status) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", status),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("invalid", status),
        _ => ("invalid", StatusCode::BAD_REQUEST),
    };
    Failure::new(status, kind, text, field)
}

/// Query parameters, refused in the one error shape.
pub struct Q<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Q<T> {
    type Rejection = Failure;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Failure> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Q(q.0))
            .map_err(|e: QueryRejection| rejected(e.status(), e.body_text(), Some("query")))
    }
}

/// A path segment, refused in the one error shape.
pub struct P<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for P<T> {
    type Rejection = Failure;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Failure> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| P(p.0))
            .map_err(|e: PathRejection| rejected(e.status(), e.body_text(), Some("path")))
    }
}

/// A JSON body, refused in the one error shape.
pub struct J<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for J<T> {
    type Rejection = Failure;
    async fn from_request(req: Request, state: &S) -> Result<Self, Failure> {
        Json::<T>::from_request(req, state)
            .await
            .map(|j| J(j.0))
            .map_err(|e: JsonRejection| rejected(e.status(), e.body_text(), Some("body")))
    }
}

/// Milliseconds since the Unix epoch, now.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Runs the engine's `f` off the async threads (it reads the store).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| {
            Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the request's worker stopped",
                None,
            )
        })?
        .map_err(Failure::from)
}

/// The bearer token of a request's `Authorization` header (the scheme's name in any case, as
/// RFC 7235 has it).
fn bearer(headers: &axum::http::HeaderMap) -> Result<String, Failure> {
    let header = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| Failure::unauthenticated("no token: send 'Authorization: Bearer pgt_…'"))?;
    header
        .to_str()
        .ok()
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string())
        .ok_or_else(|| Failure::unauthenticated("the Authorization header is not 'Bearer <token>'"))
}

/// The caller, from the bearer token, within its rate limit.
pub struct Caller(pub Principal);

impl FromRequestParts<ApiState> for Caller {
    type Rejection = Failure;
    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Failure> {
        let token = bearer(&parts.headers)?;
        let api = state.api.clone();
        let who = blocking(move || api.authenticate(&token, now_ms())).await?;
        if state.limiter.check_key(&who.token_id).is_err() {
            return Err(Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "token {} made more than {} requests a second",
                    who.token_id, state.rate
                ),
                None,
            ));
        }
        Ok(Caller(who))
    }
}

/// `offset` and `limit` of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<usize>,
    /// Items to return, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

impl PageQuery {
    fn request(&self) -> PageRequest {
        let d = PageRequest::default();
        PageRequest {
            offset: self.offset.unwrap_or(d.offset),
            limit: self.limit.unwrap_or(d.limit),
        }
    }
}

macro_rules! page_of {
    ($name:ident, $item:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Serialize, Deserialize, ToSchema)]
        pub struct $name {
            /// This page's items.
            pub items: Vec<$item>,
            /// The list's length.
            pub total: usize,
            /// Items skipped.
            pub offset: usize,
            /// The page's limit.
            pub limit: usize,
        }

        impl<T: Into<$item>> From<Page<T>> for $name {
            fn from(p: Page<T>) -> Self {
                $name {
                    items: p.items.into_iter().map(Into::into).collect(),
                    total: p.total,
                    offset: p.offset,
                    limit: p.limit,
                }
            }
        }
    };
}

/// The park.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ParkDto {
    /// The live park's id.
    pub park_id: String,
    /// The site's name.
    pub name: String,
    /// The site's IANA time zone.
    pub time_zone: String,
    /// The plan's step, minutes.
    pub step_min: u32,
    /// Buses (0 for a tenant).
    pub buses: usize,
    /// Assets (0 for a tenant).
    pub assets: usize,
    /// Lines, transformers and converters (0 for a tenant).
    pub branches: usize,
    /// Tenants (0 for a tenant).
    pub tenants: usize,
    /// Meters (0 for a tenant).
    pub meters: usize,
}

/// A bus.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BusDto {
    /// Its id.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// `ac`, `dc`, `heat`, `waste_heat` or `cold`.
    pub carrier: String,
    /// Nominal voltage, kV (electric buses).
    pub v_nom_kv: Option<f64>,
}

/// Where an asset connects.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PortDto {
    /// The park-file field (`bus`, `heat_bus`, …).
    pub field: String,
    /// The bus id.
    pub bus: String,
}

/// An asset.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AssetDto {
    /// Its id.
    pub id: String,
    /// Its kind (`pv`, `battery`, …).
    pub kind: String,
    /// Where it connects.
    pub ports: Vec<PortDto>,
    /// The tenant owning it.
    pub tenant: Option<String>,
}

/// A line, transformer or converter.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BranchDto {
    /// Its id.
    pub id: String,
    /// `line`, `transformer` or `converter`.
    pub kind: String,
    /// One end (a transformer's HV bus).
    pub from_bus: String,
    /// The other end.
    pub to_bus: String,
    /// Whether it is in service.
    pub in_service: bool,
}

/// A tenant.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TenantDto {
    /// Its id.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Its meters.
    pub meters: Vec<String>,
}

/// A meter.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeterDto {
    /// Its id.
    pub id: String,
    /// The tenant it bills.
    pub tenant: String,
    /// `electricity`, `heat` or `cooling`.
    pub carrier: String,
    /// The assets it measures.
    pub assets: Vec<String>,
    /// The series of its cumulative register.
    pub register: String,
}

/// A series the store has.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SeriesDto {
    /// Its name (`<park>/<asset>/<quantity>`).
    pub name: String,
    /// The asset, branch or `meter`.
    pub asset: String,
    /// The quantity (`p_kw`, `soc`, …).
    pub quantity: String,
    /// Its unit.
    pub unit: String,
}

/// The latest good value of a series.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LatestDto {
    /// The series.
    pub series: String,
    /// Its unit.
    pub unit: String,
    /// The point's time, UTC epoch ms (null: no good point yet).
    pub time_ms: Option<i64>,
    /// Its value.
    pub value: Option<f64>,
}

/// One value of a window.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WindowValueDto {
    /// The point's time or the bucket's start, UTC epoch ms.
    pub time_ms: i64,
    /// The point's value or the bucket's mean (null: stored without a number).
    pub value: Option<f64>,
    /// `good`, `suspect` or `bad`.
    pub quality: String,
    /// Points in the bucket (1 for a raw point).
    pub n: i64,
    /// The bucket's least value.
    pub min: Option<f64>,
    /// The bucket's greatest value.
    pub max: Option<f64>,
}

/// A window of one series.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WindowDto {
    /// The series.
    pub series: String,
    /// Its unit.
    pub unit: String,
    /// `raw`, `15min`, `hour` or `day`.
    pub resolution: String,
    /// Its values in time order.
    pub values: Vec<WindowValueDto>,
    /// Where to start the next request when the window was cut at 100,000 points.
    pub next_from_ms: Option<i64>,
}

/// A meter's interval of consumption.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IntervalDto {
    /// The earlier reading's time, UTC epoch ms.
    pub start_ms: i64,
    /// The later reading's time, UTC epoch ms.
    pub end_ms: i64,
    /// Consumption, kWh (null: not known).
    pub energy_kwh: Option<f64>,
    /// `measured`, `rollover`, `reset`, `replaced` or `missing`.
    pub kind: String,
}

/// A meter's intervals in a window.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeterIntervalsDto {
    /// The meter.
    pub meter: String,
    /// Its register's series.
    pub register: String,
    /// The intervals ending in the window.
    pub intervals: Vec<IntervalDto>,
    /// Energy of the intervals whose energy is known, kWh.
    pub energy_kwh: f64,
    /// Intervals whose energy is not known.
    pub unknown: usize,
}

/// A token as listed (never the token itself, nor its hash).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenDto {
    /// Its public id.
    pub id: String,
    /// Its role.
    pub role: String,
    /// The tenant of a tenant token.
    pub tenant: Option<String>,
    /// What it is for.
    pub label: String,
    /// Made, UTC epoch ms.
    pub created_ms: i64,
    /// Expires, UTC epoch ms (null: never).
    pub expires_ms: Option<i64>,
    /// Revoked, UTC epoch ms.
    pub revoked_ms: Option<i64>,
}

/// A role.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleDto {
    /// Everything, tokens included.
    Admin,
    /// The whole park.
    Operator,
    /// Its own tenant's meters and series only.
    Tenant,
    /// The whole park, read only.
    Auditor,
    /// Publishes telemetry only.
    Device,
}

impl From<RoleDto> for Role {
    fn from(r: RoleDto) -> Self {
        match r {
            RoleDto::Admin => Role::Admin,
            RoleDto::Operator => Role::Operator,
            RoleDto::Tenant => Role::Tenant,
            RoleDto::Auditor => Role::Auditor,
            RoleDto::Device => Role::Device,
        }
    }
}

/// A token to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenDto {
    /// Its role.
    pub role: RoleDto,
    /// The tenant: required for a tenant token, refused for the others.
    pub tenant: Option<String>,
    /// What it is for.
    #[serde(default)]
    pub label: String,
    /// When it expires (absent: never); it must be later than now.
    pub expires: Option<TimeText>,
}

/// A token just made: the token is shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IssuedTokenDto {
    /// The token (`pgt_` and 64 hex digits).
    pub token: String,
    /// What the store keeps of it.
    pub record: TokenDto,
}

/// An alarm.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AlarmDto {
    /// Its id.
    pub id: i64,
    /// The condition (`stale:<asset>`, …): one open alarm per key.
    pub key: String,
    /// `warning` or `alarm`.
    pub severity: String,
    /// The asset, device or topic it concerns.
    pub source: String,
    /// What is wrong.
    pub message: String,
    /// `active` (not acknowledged), `acknowledged`, `shelved` or `cleared`.
    pub state: String,
    /// Raised (the data's time), UTC epoch ms.
    pub raised_ms: i64,
    /// Last seen (the data's time), UTC epoch ms.
    pub last_seen_ms: i64,
    /// Times seen while open.
    pub count: i64,
    /// Acknowledged (wall clock), UTC epoch ms.
    pub acked_ms: Option<i64>,
    /// By which token.
    pub acked_by: Option<String>,
    /// Shelved until, UTC epoch ms.
    pub shelved_until_ms: Option<i64>,
    /// Cleared (the data's time), UTC epoch ms.
    pub cleared_ms: Option<i64>,
}

impl AlarmDto {
    fn of(a: Alarm, now_ms: i64) -> Self {
        let state = if a.cleared_ms.is_some() {
            "cleared"
        } else if a.shelved_until_ms.is_some_and(|u| u > now_ms) {
            "shelved"
        } else if a.acked_ms.is_some() {
            "acknowledged"
        } else {
            "active"
        };
        AlarmDto {
            id: a.id,
            key: a.key,
            severity: a.severity,
            source: a.source,
            message: a.message,
            state: state.to_string(),
            raised_ms: a.raised_ms,
            last_seen_ms: a.last_seen_ms,
            count: a.count,
            acked_ms: a.acked_ms,
            acked_by: a.acked_by,
            shelved_until_ms: a.shelved_until_ms,
            cleared_ms: a.cleared_ms,
        }
    }
}

/// How long to shelve an alarm.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShelveDto {
    /// Minutes, 1 to 10080 (a week).
    #[schema(minimum = 1, maximum = 10080)]
    pub minutes: u32,
}

/// A run to start: the park's dispatch over some days of its year, or the year.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRunDto {
    /// The first day (the park's local date, `2025-01-15`); absent: the whole year.
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", example = "2025-01-15")]
    pub from: Option<String>,
    /// How many days from `from`, 1 to 366 (default 7 with `from`).
    #[schema(minimum = 1, maximum = 366)]
    pub days: Option<u32>,
    /// `optimal` (the least-cost dispatch, with the rule-based baseline beside it; the
    /// default) or `rule` (the baseline alone).
    pub strategy: Option<StrategyDto>,
}

/// How a run dispatches.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StrategyDto {
    /// The least-cost dispatch (LP), the baseline beside it.
    Optimal,
    /// The rule-based baseline alone.
    Rule,
}

/// A run and its course.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RunDto {
    /// Its id.
    pub id: u64,
    /// `running`, `done` or `failed`.
    pub state: String,
    /// What it is doing now.
    pub phase: String,
    /// The first day, or null for the year.
    pub from: Option<String>,
    /// Days, or null for the year.
    pub days: Option<u32>,
    /// `optimal` or `rule`.
    pub strategy: String,
    /// Who started it (a token id).
    pub started_by: String,
    /// Started, UTC epoch ms.
    pub started_ms: i64,
    /// Finished, UTC epoch ms.
    pub finished_ms: Option<i64>,
    /// The results when done: the run's `summary.json` (KPIs of the dispatch and of the
    /// baseline, solver figures), as `parkgrid simulate` writes it.
    #[schema(value_type = Option<Object>)]
    pub summary: Option<serde_json::Value>,
    /// Why it failed.
    pub error: Option<String>,
}

impl From<parkgrid_engine::runs::RunInfo> for RunDto {
    fn from(r: parkgrid_engine::runs::RunInfo) -> Self {
        RunDto {
            id: r.id,
            state: r.state.name().to_string(),
            phase: r.phase,
            from: r.spec.window.map(|w| w.from.to_string()),
            days: r.spec.window.map(|w| w.days),
            strategy: match r.spec.strategy {
                parkgrid_engine::runs::Strategy::Optimal => "optimal",
                parkgrid_engine::runs::Strategy::Rule => "rule",
            }
            .to_string(),
            started_by: r.started_by,
            started_ms: r.started_ms,
            finished_ms: r.finished_ms,
            summary: r.summary,
            error: r.error,
        }
    }
}

/// Who the token belongs to.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WhoAmIDto {
    /// The token's public id.
    pub token_id: String,
    /// Its role.
    pub role: String,
    /// Its tenant.
    pub tenant: Option<String>,
}

page_of!(BusPage, BusDto, "A page of buses.");
page_of!(AssetPage, AssetDto, "A page of assets.");
page_of!(
    BranchPage,
    BranchDto,
    "A page of lines, transformers and converters."
);
page_of!(TenantPage, TenantDto, "A page of tenants.");
page_of!(MeterPage, MeterDto, "A page of meters.");
page_of!(SeriesPage, SeriesDto, "A page of series.");
page_of!(LatestPage, LatestDto, "A page of latest values.");

impl From<parkgrid_engine::api::ParkSummary> for ParkDto {
    fn from(s: parkgrid_engine::api::ParkSummary) -> Self {
        ParkDto {
            park_id: s.park_id,
            name: s.name,
            time_zone: s.time_zone,
            step_min: s.step_min,
            buses: s.buses,
            assets: s.assets,
            branches: s.branches,
            tenants: s.tenants,
            meters: s.meters,
        }
    }
}

impl From<parkgrid_engine::api::BusInfo> for BusDto {
    fn from(b: parkgrid_engine::api::BusInfo) -> Self {
        BusDto {
            id: b.id,
            name: b.name,
            carrier: b.carrier,
            v_nom_kv: b.v_nom_kv,
        }
    }
}

impl From<parkgrid_engine::api::AssetInfo> for AssetDto {
    fn from(a: parkgrid_engine::api::AssetInfo) -> Self {
        AssetDto {
            id: a.id,
            kind: a.kind,
            ports: a
                .ports
                .into_iter()
                .map(|(field, bus)| PortDto { field, bus })
                .collect(),
            tenant: a.tenant,
        }
    }
}

impl From<parkgrid_engine::api::BranchInfo> for BranchDto {
    fn from(b: parkgrid_engine::api::BranchInfo) -> Self {
        BranchDto {
            id: b.id,
            kind: b.kind,
            from_bus: b.from_bus,
            to_bus: b.to_bus,
            in_service: b.in_service,
        }
    }
}

impl From<parkgrid_engine::api::TenantInfo> for TenantDto {
    fn from(t: parkgrid_engine::api::TenantInfo) -> Self {
        TenantDto {
            id: t.id,
            name: t.name,
            meters: t.meters,
        }
    }
}

impl From<parkgrid_engine::api::MeterInfo> for MeterDto {
    fn from(m: parkgrid_engine::api::MeterInfo) -> Self {
        MeterDto {
            id: m.id,
            tenant: m.tenant,
            carrier: m.carrier,
            assets: m.assets,
            register: m.register,
        }
    }
}

impl From<parkgrid_engine::api::SeriesInfo> for SeriesDto {
    fn from(s: parkgrid_engine::api::SeriesInfo) -> Self {
        SeriesDto {
            name: s.name,
            asset: s.asset,
            quantity: s.quantity,
            unit: s.unit,
        }
    }
}

impl From<parkgrid_engine::api::Latest> for LatestDto {
    fn from(l: parkgrid_engine::api::Latest) -> Self {
        LatestDto {
            series: l.series,
            unit: l.unit,
            time_ms: l.time_ms,
            value: l.value,
        }
    }
}

impl From<Token> for TokenDto {
    fn from(t: Token) -> Self {
        TokenDto {
            id: t.id,
            role: t.role,
            tenant: t.tenant,
            label: t.label,
            created_ms: t.created_ms,
            expires_ms: t.expires_ms,
            revoked_ms: t.revoked_ms,
        }
    }
}

fn quality_name(q: PointQuality) -> &'static str {
    match q {
        PointQuality::Good => "good",
        PointQuality::Suspect => "suspect",
        PointQuality::Bad => "bad",
    }
}

fn interval_kind_name(k: IntervalKind) -> &'static str {
    match k {
        IntervalKind::Measured => "measured",
        IntervalKind::Rollover => "rollover",
        IntervalKind::Reset => "reset",
        IntervalKind::Replaced => "replaced",
        IntervalKind::Missing => "missing",
    }
}

/// A time given as UTC epoch ms or RFC 3339.
fn time_ms(field: &str, text: &str) -> Result<i64, Failure> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            Failure::invalid(
                Some(field),
                format!(
                    "'{text}' is not a time: give UTC epoch milliseconds or RFC 3339 \
                     (2025-01-08T00:00:00+08:00)"
                ),
            )
        })
}

/// A time as queries take it: UTC epoch milliseconds (`1736294400000`) or RFC 3339
/// (`2025-01-08T08:00:00+08:00`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(
    value_type = String,
    pattern = r"^(-?[0-9]{1,15}|[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))$",
    example = "2025-01-08T08:00:00+08:00"
)]
pub struct TimeText(pub String);

/// A window of time.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpanQuery {
    /// Start, exclusive (an interval belongs to the window its end falls in): UTC epoch ms or
    /// RFC 3339.
    pub from: TimeText,
    /// End, inclusive: UTC epoch ms or RFC 3339; at most 366 days after `from`.
    pub to: TimeText,
}

/// A window of a series.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    /// The series' name (`yanqing/pv_roof/p_kw`).
    #[param(min_length = 1)]
    pub name: String,
    /// Start, inclusive: UTC epoch ms or RFC 3339.
    pub from: TimeText,
    /// End, exclusive: UTC epoch ms or RFC 3339.
    pub to: TimeText,
    /// `raw` (≤ 31 days), `15min`, `hour` (≤ 366 days) or `day` (≤ 10 years); default `raw`.
    #[param(pattern = "^(raw|15min|hour|day)$")]
    pub resolution: Option<String>,
}

/// Latest values, of named series or of a page of all.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LatestQuery {
    /// Series names separated by commas (absent: every series the token may see, a page).
    pub names: Option<String>,
    /// Items to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<usize>,
    /// Items to return, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// The token's holder.
#[utoipa::path(get, path = "/api/v1/whoami", tag = "tokens",
    responses((status = 200, body = WhoAmIDto), (status = 401, body = ErrorBody)))]
async fn whoami(Caller(who): Caller) -> Json<WhoAmIDto> {
    Json(WhoAmIDto {
        token_id: who.token_id,
        role: who.role.name().to_string(),
        tenant: who.tenant,
    })
}

/// The park's name, time zone and counts.
#[utoipa::path(get, path = "/api/v1/park", tag = "park",
    responses((status = 200, body = ParkDto), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
async fn park(State(s): State<ApiState>, Caller(who): Caller) -> Result<Json<ParkDto>, Failure> {
    Ok(Json(s.api.summary(&who)?.into()))
}

/// The park's buses (admin, operator, auditor).
#[utoipa::path(get, path = "/api/v1/park/buses", tag = "park", params(PageQuery),
    responses((status = 200, body = BusPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn buses(
    State(s): State<ApiState>,
    Caller(who): Caller,
    Q(q): Q<PageQuery>,
) -> Result<Json<BusPage>, Failure> {
    Ok(Json(s.api.buses(&who, q.request())?.into()))
}

/// The park's assets (admin, operator, auditor).
#[utoipa::path(get, path = "/api/v1/park/assets", tag = "park", params(PageQuery),
    responses((status = 200, body = AssetPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn assets(
    State(s): State<ApiState>,
    Caller(who): Caller,
    Q(q): Q<PageQuery>,
) -> Result<Json<AssetPage>, Failure> {
    Ok(Json(s.api.assets(&who, q.request())?.into()))
}

/// The park's lines, transformers and converters (admin, operator, auditor).
#[utoipa::path(get, path = "/api/v1/park/branches", tag = "park", params(PageQuery),
    responses((status = 200, body = BranchPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn branches(
    State(s): State<ApiState>,
    Caller(who): Caller,
    Q(q): Q<PageQuery>,
) -> Result<Json<BranchPage>, Failure> {
    Ok(Json(s.api.branches(&who, q.request())?.into()))
}

/// The tenants the token may see (a tenant: itself).
#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants", params(PageQuery),
    responses((status = 200, body = TenantPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn tenants(
    State(s): State<ApiState>,
    Caller(who): Caller,
    Q(q): Q<PageQuery>,
) -> Result<Json<TenantPage>, Failure> {
    Ok(Json(s.api.tenants(&who, q.request())?.into()))
}

/// The meters the token may see (a tenant: its own).
#[utoipa::path(get, path = "/api/v1/meters", tag = "tenants", params(PageQuery),
    responses((status = 200, body = MeterPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn meters(
    State(s): State<ApiState>,
    Caller(who): Caller,
    Q(q): Q<PageQuery>,
) -> Result<Json<MeterPage>, Failure> {
    Ok(Json(s.api.meters(&who, q.request())?.into()))
}

/// A meter's consumption intervals ending in `(from, to]` (≤ 366 days).
#[utoipa::path(get, path = "/api/v1/meters/{id}/intervals", tag = "tenants",
    params(("id" = String, Path, description = "The meter's id"), SpanQuery),
    responses((status = 200, body = MeterIntervalsDto), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn meter_intervals(
    State(s): State<ApiState>,
    Caller(who): Caller,
    P(id): P<String>,
    Q(q): Q<SpanQuery>,
) -> Result<Json<MeterIntervalsDto>, Failure> {
    let (from, to) = (time_ms("from", &q.from.0)?, time_ms("to", &q.to.0)?);
    let api = s.api.clone();
    let m = blocking(move || api.meter_intervals(&who, &id, from, to)).await?;
    Ok(Json(MeterIntervalsDto {
        meter: m.meter,
        register: m.register,
        intervals: m
            .intervals
            .iter()
            .map(|i| IntervalDto {
                start_ms: i.start_ms,
                end_ms: i.end_ms,
                energy_kwh: i.energy,
                kind: interval_kind_name(i.kind).to_string(),
            })
            .collect(),
        energy_kwh: m.energy_kwh,
        unknown: m.unknown,
    }))
}

/// The series the token may see.
#[utoipa::path(get, path = "/api/v1/series", tag = "series", params(PageQuery),
    responses((status = 200, body = SeriesPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
async fn series(
    State(s): State<ApiState>,
    Caller(who): Caller,
    Q(q): Q<PageQuery>,
) -> Result<Json<SeriesPage>, Failure> {
    let api = s.api.clone();
    let page = q.request();
    Ok(Json(blocking(move || api.series(&who, page)).await?.into()))
}

/// The latest good value of named series, or of a page of every series the token may see.
#[utoipa::path(get, path = "/api/v1/series/latest", tag = "series", params(LatestQuery),
    responses((status = 200, body = LatestPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn latest(
    State(s): State<ApiState>,
    Caller(who): Caller,
    Q(q): Q<LatestQuery>,
) -> Result<Json<LatestPage>, Failure> {
    let names: Option<Vec<String>> = q.names.as_ref().map(|n| {
        n.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    });
    if names
        .as_ref()
        .is_some_and(|n| n.len() > parkgrid_engine::api::MAX_PAGE)
    {
        return Err(Failure::invalid(
            Some("names"),
            format!("at most {} series at once", parkgrid_engine::api::MAX_PAGE),
        ));
    }
    let page = PageRequest {
        offset: q.offset.unwrap_or(0),
        limit: q.limit.unwrap_or(PageRequest::default().limit),
    };
    let api = s.api.clone();
    Ok(Json(
        blocking(move || api.latest(&who, names.as_deref(), page))
            .await?
            .into(),
    ))
}

/// A series' values in `[from, to)`: raw points (≤ 31 days, at most 100,000 a request) or the
/// 15-minute, hourly or daily rollups.
#[utoipa::path(get, path = "/api/v1/series/window", tag = "series", params(WindowQuery),
    responses((status = 200, body = WindowDto), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn window(
    State(s): State<ApiState>,
    Caller(who): Caller,
    Q(q): Q<WindowQuery>,
) -> Result<Json<WindowDto>, Failure> {
    let (from, to) = (time_ms("from", &q.from.0)?, time_ms("to", &q.to.0)?);
    let resolution_text = q.resolution.unwrap_or_else(|| "raw".to_string());
    let resolution: WindowResolution = resolution_text
        .parse()
        .map_err(|e: String| Failure::invalid(Some("resolution"), e))?;
    let api = s.api.clone();
    let name = q.name;
    let w = blocking(move || api.window(&who, &name, from, to, resolution)).await?;
    Ok(Json(WindowDto {
        series: w.series,
        unit: w.unit,
        resolution: resolution_text,
        values: w
            .values
            .iter()
            .map(|v| WindowValueDto {
                time_ms: v.time_ms,
                value: v.value,
                quality: quality_name(v.quality).to_string(),
                n: v.n,
                min: v.min,
                max: v.max,
            })
            .collect(),
        next_from_ms: w.next_from_ms,
    }))
}

/// How long a stream runs.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Seconds before the stream ends, 1 to 3600 (default 3600); clients reconnect.
    #[param(minimum = 1, maximum = 3600)]
    pub seconds: Option<u64>,
}

/// The latest good value of every series the token may see, as Server-Sent Events: an event
/// `latest` (data: a page of up to 1,000 latest values, as `/api/v1/series/latest` answers)
/// and, for the whole-park roles, `alarms` (as `/api/v1/alarms` answers), at once and then
/// every second, until `seconds` have passed.
#[utoipa::path(get, path = "/api/v1/stream/latest", tag = "series", params(StreamQuery),
    responses((status = 200, description = "Server-Sent Events `latest`, each a LatestPage",
               content_type = "text/event-stream", body = String),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
async fn stream_latest(
    State(s): State<ApiState>,
    headers: axum::http::HeaderMap,
    Caller(who): Caller,
    Q(q): Q<StreamQuery>,
) -> Result<impl IntoResponse, Failure> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use std::time::{Duration, Instant};
    let seconds = q.seconds.unwrap_or(3600);
    if !(1..=3600).contains(&seconds) {
        return Err(Failure::invalid(
            Some("seconds"),
            format!("must be 1 to 3600, got {seconds}"),
        ));
    }
    // A device reads nothing: refused before the stream starts.
    s.api.summary(&who)?;
    let end = Instant::now() + Duration::from_secs(seconds);
    let page = PageRequest {
        offset: 0,
        limit: parkgrid_engine::api::MAX_PAGE,
    };
    // Checked again at every tick: a token revoked or expired ends its stream.
    let token = bearer(&headers)?;
    let stream =
        futures_util::stream::unfold((s.api.clone(), who, true), move |(api, who, first)| {
            let token = token.clone();
            async move {
                if !first {
                    if Instant::now() + Duration::from_secs(1) > end {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                let (a, w) = (api.clone(), who.clone());
                let answer = tokio::task::spawn_blocking(move || {
                    if a.authenticate(&token, now_ms()).is_err() {
                        return None;
                    }
                    let latest = a.latest(&w, None, page);
                    // The whole-park roles also hear the alarms; a tenant does not.
                    let alarms = matches!(w.role, Role::Admin | Role::Operator | Role::Auditor)
                        .then(|| a.alarms(&w));
                    Some((latest, alarms))
                })
                .await;
                let answer = match answer {
                    Ok(None) => return None,
                    Ok(Some(a)) => Ok(a),
                    Err(e) => Err(e),
                };
                let error = |text: String| Event::default().event("error").data(text);
                let mut events = Vec::with_capacity(2);
                match answer {
                    Ok((latest, alarms)) => {
                        events.push(match latest {
                            Ok(p) => Event::default()
                                .event("latest")
                                .json_data(LatestPage::from(p))
                                .unwrap_or_else(|_| error("serialising".into())),
                            Err(e) => error(Failure::from(e).body.detail),
                        });
                        let now = now_ms();
                        match alarms {
                            Some(Ok(list)) => events.push(
                                Event::default()
                                    .event("alarms")
                                    .json_data(
                                        list.into_iter()
                                            .map(|a| AlarmDto::of(a, now))
                                            .collect::<Vec<_>>(),
                                    )
                                    .unwrap_or_else(|_| error("serialising".into())),
                            ),
                            Some(Err(e)) => events.push(error(Failure::from(e).body.detail)),
                            None => {}
                        }
                    }
                    Err(_) => events.push(error("the worker stopped".into())),
                }
                let events = events
                    .into_iter()
                    .map(Ok::<_, std::convert::Infallible>)
                    .collect::<Vec<_>>();
                Some((futures_util::stream::iter(events), (api, who, false)))
            }
        });
    Ok(Sse::new(futures_util::StreamExt::flatten(stream)).keep_alive(KeepAlive::default()))
}

/// The alarms, the open ones first, then the newest; at most 1,000 (admin, operator, auditor).
#[utoipa::path(get, path = "/api/v1/alarms", tag = "alarms",
    responses((status = 200, body = Vec<AlarmDto>), (status = 403, body = ErrorBody)))]
async fn alarms(
    State(s): State<ApiState>,
    Caller(who): Caller,
) -> Result<Json<Vec<AlarmDto>>, Failure> {
    let api = s.api.clone();
    let now = now_ms();
    let all = blocking(move || api.alarms(&who)).await?;
    Ok(Json(
        all.into_iter().map(|a| AlarmDto::of(a, now)).collect(),
    ))
}

/// Acknowledges an alarm (admin, operator).
#[utoipa::path(post, path = "/api/v1/alarms/{id}/acknowledge", tag = "alarms",
    params(("id" = i64, Path, description = "The alarm's id")),
    responses((status = 200, body = AlarmDto), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn acknowledge_alarm(
    State(s): State<ApiState>,
    Caller(who): Caller,
    P(id): P<i64>,
) -> Result<Json<AlarmDto>, Failure> {
    let api = s.api.clone();
    let now = now_ms();
    let a = blocking(move || api.act_on_alarm(&who, id, None, now)).await?;
    Ok(Json(AlarmDto::of(a, now)))
}

/// Shelves an alarm for some minutes (admin, operator): kept, acknowledged, out of the way.
#[utoipa::path(post, path = "/api/v1/alarms/{id}/shelve", tag = "alarms",
    params(("id" = i64, Path, description = "The alarm's id")), request_body = ShelveDto,
    responses((status = 200, body = AlarmDto), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn shelve_alarm(
    State(s): State<ApiState>,
    Caller(who): Caller,
    P(id): P<i64>,
    J(body): J<ShelveDto>,
) -> Result<Json<AlarmDto>, Failure> {
    let api = s.api.clone();
    let now = now_ms();
    let a = blocking(move || api.act_on_alarm(&who, id, Some(body.minutes), now)).await?;
    Ok(Json(AlarmDto::of(a, now)))
}

/// Starts a run of the park (admin, operator): its dispatch over some days or the year, as
/// `parkgrid simulate` computes it; one at a time. Answers at once; the run's course is at
/// `/api/v1/runs/{id}`.
#[utoipa::path(post, path = "/api/v1/runs", tag = "runs", request_body = NewRunDto,
    responses((status = 202, body = RunDto), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn start_run(
    State(s): State<ApiState>,
    Caller(who): Caller,
    J(body): J<NewRunDto>,
) -> Result<(StatusCode, Json<RunDto>), Failure> {
    let from = body
        .from
        .as_deref()
        .map(|f| {
            chrono::NaiveDate::parse_from_str(f, "%Y-%m-%d").map_err(|_| {
                Failure::invalid(Some("from"), format!("'{f}' is not a date like 2025-01-15"))
            })
        })
        .transpose()?;
    let window = match (from, body.days) {
        (Some(from), days) => Some(parkgrid_engine::Window {
            from,
            days: days.unwrap_or(7),
        }),
        (None, None) => None,
        (None, Some(_)) => {
            return Err(Failure::invalid(
                Some("from"),
                "days need a first day (from)",
            ));
        }
    };
    if window.is_some_and(|w| !(1..=366).contains(&w.days)) {
        return Err(Failure::invalid(Some("days"), "1 to 366 days"));
    }
    let strategy = match body.strategy.unwrap_or(StrategyDto::Optimal) {
        StrategyDto::Optimal => parkgrid_engine::runs::Strategy::Optimal,
        StrategyDto::Rule => parkgrid_engine::runs::Strategy::Rule,
    };
    let api = s.api.clone();
    let spec = parkgrid_engine::runs::RunSpec { window, strategy };
    let run = blocking(move || {
        let id = api.start_run(&who, spec)?;
        api.run(&who, id)
    })
    .await?;
    Ok((StatusCode::ACCEPTED, Json(run.into())))
}

/// The runs since the server started, newest first (admin, operator, auditor).
#[utoipa::path(get, path = "/api/v1/runs", tag = "runs",
    responses((status = 200, body = Vec<RunDto>), (status = 403, body = ErrorBody)))]
async fn list_runs(
    State(s): State<ApiState>,
    Caller(who): Caller,
) -> Result<Json<Vec<RunDto>>, Failure> {
    Ok(Json(
        s.api.runs(&who)?.into_iter().map(Into::into).collect(),
    ))
}

/// A run's course and, when done, its results (admin, operator, auditor).
#[utoipa::path(get, path = "/api/v1/runs/{id}", tag = "runs",
    params(("id" = u64, Path, description = "The run's id")),
    responses((status = 200, body = RunDto), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_run(
    State(s): State<ApiState>,
    Caller(who): Caller,
    P(id): P<u64>,
) -> Result<Json<RunDto>, Failure> {
    Ok(Json(s.api.run(&who, id)?.into()))
}

/// The tokens, without their hashes (admin, auditor).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = Vec<TokenDto>), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn list_tokens(
    State(s): State<ApiState>,
    Caller(who): Caller,
) -> Result<Json<Vec<TokenDto>>, Failure> {
    let api = s.api.clone();
    let all = blocking(move || api.tokens(&who)).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Makes a token (admin); the answer shows it this once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewTokenDto,
    responses((status = 201, body = IssuedTokenDto), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn create_token(
    State(s): State<ApiState>,
    Caller(who): Caller,
    J(body): J<NewTokenDto>,
) -> Result<(StatusCode, Json<IssuedTokenDto>), Failure> {
    let role: Role = body.role.into();
    let expires = body
        .expires
        .as_ref()
        .map(|e| time_ms("expires", &e.0))
        .transpose()?;
    let api = s.api.clone();
    let (token, record) = blocking(move || {
        api.issue_token(
            &who,
            role,
            body.tenant.as_deref(),
            &body.label,
            expires,
            now_ms(),
        )
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedTokenDto {
            token,
            record: record.into(),
        }),
    ))
}

/// Revokes a token (admin).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "The token's public id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn revoke_token(
    State(s): State<ApiState>,
    Caller(who): Caller,
    P(id): P<String>,
) -> Result<StatusCode, Failure> {
    let api = s.api.clone();
    blocking(move || api.revoke_token(&who, &id, now_ms())).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The bearer scheme every operation uses.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "parkgrid", description = "The live park: its model, series, meters, tenants and \
        tokens. Every operation takes a bearer token (`pgt_…`, made with `parkgrid token create`)."),
    modifiers(&BearerAuth),
    components(schemas(TimeText)),
    security(("bearer" = [])),
    tags(
        (name = "park", description = "The park's model"),
        (name = "series", description = "Measured series"),
        (name = "tenants", description = "Tenants and their meters"),
        (name = "alarms", description = "Conditions found in the live data"),
        (name = "runs", description = "The park's dispatch, computed on request"),
        (name = "tokens", description = "Who may do what"),
    )
)]
struct ApiDoc;

/// The API's routes and their OpenAPI document (the document lists exactly these routes).
pub fn routes(state: ApiState) -> (Router, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(whoami))
        .routes(routes!(park))
        .routes(routes!(buses))
        .routes(routes!(assets))
        .routes(routes!(branches))
        .routes(routes!(tenants))
        .routes(routes!(meters))
        .routes(routes!(meter_intervals))
        .routes(routes!(series))
        .routes(routes!(latest))
        .routes(routes!(window))
        .routes(routes!(stream_latest))
        .routes(routes!(alarms))
        .routes(routes!(acknowledge_alarm))
        .routes(routes!(shelve_alarm))
        .routes(routes!(list_runs, start_run))
        .routes(routes!(get_run))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .with_state(state)
        .split_for_parts();
    let mut doc = doc;
    common_responses(&mut doc);
    (router, doc)
}

/// The answers any operation may give besides its own: 401 (no valid token), 429 (over the
/// token's rate) and 503 (the store failed); 413 and 415 where a body is taken.
fn common_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build(),
        )
    };
    for item in doc.paths.paths.values_mut() {
        let with_body = item.post.is_some() || item.put.is_some() || item.patch.is_some();
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let r = &mut op.responses.responses;
            let mut add = |code: &str, text: &str| {
                r.entry(code.to_string()).or_insert_with(|| error(text));
            };
            add(
                "401",
                "No token, or one malformed, unknown, expired or revoked",
            );
            add("429", "The token made more requests than its rate allows");
            add("503", "The store cannot be reached");
            if with_body {
                add("413", "The body is larger than 64 KiB");
                add("415", "The body is not application/json");
            }
        }
    }
}

/// A guard for routes outside the API that need a token of a role reading the park (admin,
/// operator, auditor): `/metrics`.
pub async fn reads_park(
    State(state): State<ApiState>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    match Caller::from_request_parts(&mut parts, &state).await {
        Ok(Caller(who)) if matches!(who.role, Role::Admin | Role::Operator | Role::Auditor) => {
            next.run(Request::from_parts(parts, body)).await
        }
        Ok(Caller(who)) => Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("a {} token may not read the metrics", who.role.name()),
            None,
        )
        .into_response(),
        Err(f) => f.into_response(),
    }
}

/// `GET /api/v1/openapi.json`, the document, and `/api/v1/docs/`, the API browser (Swagger UI
/// from the binary), both without a token; the browser's pages may load scripts, styles and
/// images from this server only.
pub fn docs(doc: utoipa::openapi::OpenApi) -> Router {
    Router::from(utoipa_swagger_ui::SwaggerUi::new("/api/v1/docs").url("/api/v1/openapi.json", doc))
        .layer(axum::middleware::map_response(
            |mut r: Response| async move {
                r.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                     frame-ancestors 'none'",
                ),
            );
                r
            },
        ))
}

/// 404 for any other path under the API, in the one error shape.
pub async fn not_found(uri: axum::http::Uri) -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route {}", uri.path()),
        None,
    )
}

/// 405 in the one error shape.
pub async fn method_not_allowed() -> Failure {
    Failure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
        None,
    )
}
