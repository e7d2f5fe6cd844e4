//! Resources and loads of a park: weather (EPW, CSV, or a synthetic year from a monthly climate
//! table), solar position (NREL SPA), plane-of-array irradiance (isotropic, Hay–Davies, Perez), PV
//! output (PVWatts), wind-farm output (power curves, hub-height extrapolation, air density), heat-pump
//! COP, heat demand, electric demand shapes on the Chinese working calendar, and measured logs
//! placed on a park's time axis ([`measured`]).
//!
//! [`park_profiles`] turns a validated [`parkgrid_model::Park`] into one series per asset on the
//! park's time axis. This crate does no network IO and has no async runtime; it reads the weather
//! and profile files a park names.

pub mod calendar;
pub mod csvdata;
pub mod epw;
pub mod heat;
pub mod irradiance;
pub mod measured;
mod profiles;
pub mod pv;
pub mod rng;
pub mod solar;
pub mod synthetic;
pub mod weather;
pub mod wind;

pub use profiles::{
    AssetSeries, ParkProfiles, Quantity, ResourceError, park_profiles, park_profiles_window,
};
pub use weather::{DataError, WeatherSeries};
