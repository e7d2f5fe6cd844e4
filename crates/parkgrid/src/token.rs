//! `parkgrid token`: the API's tokens — made (shown once), listed, revoked — in the store
//! `serve` uses. The engine makes and checks them (`parkgrid_engine::api`).

use std::path::PathBuf;

/// `parkgrid token`'s arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

/// What to do with tokens.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Makes a token and prints it (once: the store keeps only its hash).
    Create {
        /// The park file (TOML).
        park: PathBuf,
        /// The store: sqlite:FILE or a PostgreSQL connection string, as `serve --db`.
        #[arg(long, default_value = "sqlite:parkgrid-live.db")]
        db: String,
        /// admin (everything), operator (the whole park), tenant (its own meters and series),
        /// auditor (read only) or device (publishes only).
        #[arg(long)]
        role: String,
        /// The tenant of a tenant token (an id of the park's [[tenant]]).
        #[arg(long)]
        tenant: Option<String>,
        /// What the token is for (shown in lists).
        #[arg(long, default_value = "")]
        label: String,
        /// Valid for this many days (default: until revoked).
        #[arg(long)]
        days: Option<f64>,
    },
    /// Lists the tokens (never the tokens themselves).
    List {
        /// The park file (TOML).
        park: PathBuf,
        /// The store, as `serve --db`.
        #[arg(long, default_value = "sqlite:parkgrid-live.db")]
        db: String,
    },
    /// Revokes a token by its id (tok_…).
    Revoke {
        /// The park file (TOML).
        park: PathBuf,
        /// The token's id, as `token list` shows it.
        id: String,
        /// The store, as `serve --db`.
        #[arg(long, default_value = "sqlite:parkgrid-live.db")]
        db: String,
    },
}

/// `parkgrid token`.
#[cfg(not(feature = "live"))]
pub fn run(_: Args) -> anyhow::Result<std::process::ExitCode> {
    Err(crate::input_error(
        "this build has no live park (the store, the API); rebuild with --features live",
    ))
}

/// `parkgrid token`.
#[cfg(feature = "live")]
pub fn run(args: Args) -> anyhow::Result<std::process::ExitCode> {
    use parkgrid_engine::api::{Api, ApiError, Principal, Role};

    let now_ms = chrono::Utc::now().timestamp_millis();
    // The command line acts as the park's administrator (it holds the store itself).
    let admin = Principal {
        token_id: "command line".into(),
        role: Role::Admin,
        tenant: None,
    };
    let fail = |e: ApiError| match e {
        ApiError::Invalid { field, detail } => crate::input_error(format!("--{field}: {detail}")),
        other => anyhow::anyhow!("{other}"),
    };
    let open = |park: &PathBuf, db: &str| -> anyhow::Result<Api> {
        let park = crate::load(park)?;
        Ok(Api::open(park, db)?)
    };
    match args.action {
        Action::Create {
            park,
            db,
            role,
            tenant,
            label,
            days,
        } => {
            let role: Role = role
                .parse()
                .map_err(|e: String| crate::input_error(format!("--role: {e}")))?;
            let expires_ms = days
                .map(|d| {
                    (d.is_finite() && d > 0.0 && d <= 36_600.0)
                        .then(|| now_ms + (d * 86_400_000.0) as i64)
                        .ok_or_else(|| {
                            crate::input_error(format!("--days {d}: a positive number of days"))
                        })
                })
                .transpose()?;
            let api = open(&park, &db)?;
            let (token, record) = api
                .create_token(role, tenant.as_deref(), &label, expires_ms, now_ms)
                .map_err(fail)?;
            eprintln!(
                "token {} ({}{}) made; it is shown this once:",
                record.id,
                record.role,
                record
                    .tenant
                    .as_deref()
                    .map(|t| format!(" of {t}"))
                    .unwrap_or_default()
            );
            outln!("{token}")?;
        }
        Action::List { park, db } => {
            let api = open(&park, &db)?;
            let show = |ms: Option<i64>| {
                ms.and_then(chrono::DateTime::from_timestamp_millis)
                    .map_or_else(
                        || "-".to_string(),
                        |t| t.format("%Y-%m-%dT%H:%MZ").to_string(),
                    )
            };
            outln!(
                "{:<16} {:<8} {:<14} {:<17} {:<17} {:<17} label",
                "id",
                "role",
                "tenant",
                "created",
                "expires",
                "revoked"
            )?;
            for t in api.tokens(&admin).map_err(fail)? {
                outln!(
                    "{:<16} {:<8} {:<14} {:<17} {:<17} {:<17} {}",
                    t.id,
                    t.role,
                    t.tenant.as_deref().unwrap_or("-"),
                    show(Some(t.created_ms)),
                    show(t.expires_ms),
                    show(t.revoked_ms),
                    t.label
                )?;
            }
        }
        Action::Revoke { park, id, db } => {
            let api = open(&park, &db)?;
            api.revoke_token(&admin, &id, now_ms).map_err(|e| match e {
                ApiError::NotFound(d) => crate::input_error(d),
                other => fail(other),
            })?;
            eprintln!("token {id} revoked");
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
