//! Every asset's availability or demand on the park's time axis: the bridge from a `Park` to the
//! numbers dispatch needs.

use chrono::{Datelike, Timelike};
use parkgrid_model::asset::{
    AssetRef, Collector, CoolingLoad, DataCentre, EvCharging, HeatLoad, PowerCurve, Pv, Wind,
};
use parkgrid_model::weather::WeatherSource;
use parkgrid_model::{
    AssetKind, Carrier, LoadShape, Park, Profile, ProfileUnit, TimeAxis, catalog,
};

use crate::calendar::{DayType, calendar_is_official, day_type, shape_weight};
use crate::csvdata::{CsvSite, CsvTable, WeatherCsvError, parse_csv, weather_from_csv};
use crate::epw::parse_epw;
use crate::heat::{
    DHW_SHAPE, T_COND_MIN_C, air_source_capacity_ratio, air_source_cop, cop_carnot, eer_carnot,
    space_cooling_kw, space_heating_kw,
};
use crate::pv::{PvSystem, pv_output};
use crate::solar::SolarError;
use crate::synthetic::{SiteInfo, SyntheticWeather, daily_from_monthly, synthetic_year};
use crate::weather::{DataError, WeatherSeries, read_text};
use crate::wind::{HeightLaw, air_density, turbine_kw};

/// Shear exponent used to carry a farm's wind from its measurement height to the hub.
pub const FARM_SHEAR_ALPHA: f64 = 1.0 / 7.0;
/// Weibull shape of a farm's wind when the park file gives none.
pub const DEFAULT_FARM_WEIBULL_K: f64 = 2.0;

/// What a series measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// Power the asset could produce, kW (PV, wind).
    Available,
    /// Electric demand, kW.
    ElectricDemand,
    /// Heat demand, kW.
    HeatDemand,
    /// Waste heat given off, kW.
    WasteHeat,
    /// Coefficient of performance of a heat pump.
    Cop,
    /// Cooling demand, kW.
    CoolingDemand,
    /// Energy-efficiency ratio (cooling / electricity) of an electric chiller.
    Eer,
    /// Largest heat output in the step, kW (air-source heat pumps: less in cold air).
    HeatMax,
}

impl Quantity {
    /// Column suffix in `profiles.csv`.
    pub fn suffix(self) -> &'static str {
        match self {
            Quantity::Available => "available_kw",
            Quantity::ElectricDemand => "demand_kw",
            Quantity::HeatDemand => "heat_demand_kw",
            Quantity::WasteHeat => "waste_heat_kw",
            Quantity::Cop => "cop",
            Quantity::CoolingDemand => "cooling_demand_kw",
            Quantity::Eer => "eer",
            Quantity::HeatMax => "heat_max_kw",
        }
    }
}

/// One series of one asset.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetSeries {
    /// The asset's id.
    pub id: String,
    /// The asset's kind.
    pub kind: AssetKind,
    /// What the values are.
    pub quantity: Quantity,
    /// One value per step of the park's time axis.
    pub values: Vec<f64>,
    /// The rating the series is compared with for capacity factors, kW.
    pub rating_kw: Option<f64>,
}

/// Every series of a park.
#[derive(Debug, Clone)]
pub struct ParkProfiles {
    /// The park's time axis.
    pub axis: TimeAxis,
    /// The weather on the park's time axis.
    pub weather: WeatherSeries,
    /// Series, asset by asset in park-file order.
    pub series: Vec<AssetSeries>,
    /// Things the user should know about how the profiles were made.
    pub notes: Vec<String>,
    /// Electric demand no asset declares, `(bus, kW per step)`: the network losses a power flow
    /// of the schedule found beyond what the dispatch models, fed back so that the dispatch buys
    /// the import the network really needs. Empty unless a caller adds it.
    pub extra_demand_kw: Vec<(String, Vec<f64>)>,
}

impl ParkProfiles {
    /// The series `quantity` of asset `id`.
    pub fn get(&self, id: &str, quantity: Quantity) -> Option<&[f64]> {
        self.series
            .iter()
            .find(|s| s.id == id && s.quantity == quantity)
            .map(|s| s.values.as_slice())
    }

    /// The steps `offset .. offset + len` of every series and of the weather, on their own time
    /// axis (starting at step `offset`'s time). Panics if the window reaches past the last step;
    /// callers keep `offset + len ≤ axis.n_steps`.
    pub fn window(&self, offset: usize, len: usize) -> ParkProfiles {
        let axis = self.axis.window(offset, len);
        let cut = |v: &[f64]| v[offset..offset + len].to_vec();
        let w = &self.weather;
        let weather = w.remapped(w.times[offset..offset + len].to_vec(), w.step_min, cut);
        let series = self
            .series
            .iter()
            .map(|s| AssetSeries {
                values: cut(&s.values),
                ..s.clone()
            })
            .collect();
        let extra_demand_kw = self
            .extra_demand_kw
            .iter()
            .map(|(bus, v)| (bus.clone(), cut(v)))
            .collect();
        ParkProfiles {
            axis,
            weather,
            series,
            notes: Vec::new(),
            extra_demand_kw,
        }
    }
}

/// Why profiles cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// A weather or profile file is unusable.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Solar geometry failed (a time outside the algorithm's range).
    #[error(transparent)]
    Solar(#[from] SolarError),
    /// The park cannot be turned into profiles as written.
    #[error("{0}")]
    Park(String),
}

impl From<WeatherCsvError> for ResourceError {
    fn from(e: WeatherCsvError) -> Self {
        match e {
            WeatherCsvError::Data(d) => Self::Data(d),
            WeatherCsvError::Solar(s) => Self::Solar(s),
        }
    }
}

/// The weather in the weather's own step, plus the synthetic generator's latent wind if any.
struct Weather {
    native: WeatherSeries,
    synthetic: Option<SyntheticWeather>,
}

/// Computes every asset's series for a validated park.
pub fn park_profiles(park: &Park) -> Result<ParkProfiles, ResourceError> {
    park_profiles_in(park, None)
}

/// The profiles of steps `offset .. offset + len` of the park's axis: the same values as
/// `park_profiles(park)?.window(offset, len)`, made faster by computing the solar geometry of the
/// PV arrays for the window's steps only (what depends on the whole year — the weather's monthly
/// calibration, demand scaled to its annual energy — is still made for the year).
///
/// # Errors
/// As [`park_profiles`]; [`ResourceError::Park`] when the window reaches past the axis.
pub fn park_profiles_window(
    park: &Park,
    offset: usize,
    len: usize,
) -> Result<ParkProfiles, ResourceError> {
    let year = park_profiles_in(park, Some((offset, len)))?;
    if offset + len > year.axis.n_steps {
        return Err(ResourceError::Park(format!(
            "steps {offset}..{} are not within the {} steps of the park's axis",
            offset + len,
            year.axis.n_steps
        )));
    }
    let mut window = year.window(offset, len);
    window.notes = year.notes;
    Ok(window)
}

/// The profiles on the park's axis; with `only`, the PV arrays' output is computed for those
/// steps (offset, length) alone and left 0 elsewhere.
fn park_profiles_in(
    park: &Park,
    only: Option<(usize, usize)>,
) -> Result<ParkProfiles, ResourceError> {
    let axis = park.time_axis().ok_or_else(|| {
        ResourceError::Park(String::from(
            "the park's time axis is invalid (validate the park first)",
        ))
    })?;
    let mut notes = Vec::new();
    if !calendar_is_official(axis.year()) {
        notes.push(format!(
            "no official holiday calendar for {}: Spring Festival and other lunar holidays are not marked",
            axis.year()
        ));
    }
    let w = load_weather(park, &axis)?;
    let weather = resample_weather(&w.native, &axis);
    let mut series = Vec::new();
    for (_, asset) in park.assets() {
        let id = asset.spec().id().to_string();
        let kind = asset.spec().kind();
        let mut push = |quantity, values: Vec<f64>, rating_kw| {
            series.push(AssetSeries {
                id: id.clone(),
                kind,
                quantity,
                values,
                rating_kw,
            });
        };
        match asset {
            AssetRef::Pv(pv) => push(
                Quantity::Available,
                pv_series(park, &axis, &w, pv, only)?,
                Some(pv.p_dc_kw),
            ),
            AssetRef::Wind(wind) => {
                let (curve, hub) = wind_curve(park, wind)?;
                let rated =
                    curve.p_kw.iter().copied().fold(0.0, f64::max) * f64::from(wind.n_turbines);
                push(
                    Quantity::Available,
                    wind_series(park, &axis, &w, wind, &curve, hub)?,
                    Some(rated),
                );
            }
            AssetRef::DataCentre(dc) => {
                let demand = data_centre_series(park, &axis, dc)?;
                if dc.waste_heat_bus.is_some() {
                    let heat = demand.iter().map(|p| p * dc.recoverable_frac).collect();
                    push(Quantity::ElectricDemand, demand, Some(dc.p_it_kw * dc.pue));
                    push(Quantity::WasteHeat, heat, None);
                } else {
                    push(Quantity::ElectricDemand, demand, Some(dc.p_it_kw * dc.pue));
                }
            }
            AssetRef::ElectricLoad(l) => push(
                Quantity::ElectricDemand,
                demand_series(park, &axis, &id, l.shape, l.annual_kwh, l.profile.as_ref())?,
                None,
            ),
            AssetRef::FlexibleLoad(l) => push(
                Quantity::ElectricDemand,
                demand_series(park, &axis, &id, l.shape, l.annual_kwh, l.profile.as_ref())?,
                Some(l.p_max_kw),
            ),
            AssetRef::HeatLoad(h) => push(
                Quantity::HeatDemand,
                heat_series(park, &axis, &weather, h)?,
                h.design_kw(),
            ),
            AssetRef::EvCharging(ev) => push(
                Quantity::ElectricDemand,
                ev_series(park, &axis, ev)?,
                Some(ev.p_max_kw()),
            ),
            AssetRef::GroundHeatPump(hp) => {
                let sink = heat_supply_c(park, &hp.heat_bus);
                let cop: Vec<f64> = match (hp.cop, hp.collector) {
                    (Some(c), _) => vec![c; axis.n_steps],
                    (None, Collector::Borehole) => {
                        // The undisturbed ground: given, or the year's mean air temperature.
                        let t = &weather.t_air_c;
                        let mean = t.iter().sum::<f64>() / t.len().max(1) as f64;
                        let ground = hp.t_ground_c.unwrap_or(mean);
                        vec![cop_carnot(ground, sink, hp.carnot_fraction); axis.n_steps]
                    }
                    (None, Collector::Horizontal) => {
                        let mut ground = [0.0; 12];
                        for m in park.weather.climate() {
                            ground[(m.month as usize).clamp(1, 12) - 1] = m.t_ground_c;
                        }
                        let n_days = axis.n_days().max(1);
                        let per_day = 24 * axis.steps_per_hour();
                        (0..axis.n_steps)
                            .map(|i| {
                                let day = (i / per_day).min(n_days - 1);
                                let t = daily_from_monthly(&ground, day, n_days);
                                cop_carnot(t, sink, hp.carnot_fraction)
                            })
                            .collect()
                    }
                };
                push(Quantity::Cop, cop, None);
            }
            AssetRef::AirSourceHeatPump(hp) => {
                let sink = heat_supply_c(park, &hp.heat_bus);
                let t_air = &weather.t_air_c;
                let cop = t_air
                    .iter()
                    .map(|&t| hp.cop.unwrap_or_else(|| air_source_cop(t, sink)))
                    .collect();
                push(Quantity::Cop, cop, None);
                let heat_max = t_air
                    .iter()
                    .map(|&t| hp.heat_max_kw * air_source_capacity_ratio(t))
                    .collect();
                push(Quantity::HeatMax, heat_max, Some(hp.heat_max_kw));
            }
            AssetRef::WasteHeatPump(hp) => {
                let source = park.bus(&hp.source_bus).and_then(|b| b.t_c).unwrap_or(20.0);
                let sink = heat_supply_c(park, &hp.heat_bus);
                let cop = hp
                    .cop
                    .unwrap_or_else(|| cop_carnot(source, sink, hp.carnot_fraction));
                push(Quantity::Cop, vec![cop; axis.n_steps], None);
            }
            AssetRef::CoolingLoad(c) => push(
                Quantity::CoolingDemand,
                cooling_series(park, &axis, &weather, c)?,
                c.design_kw(),
            ),
            AssetRef::ElectricChiller(ch) => {
                let chilled = park
                    .bus(&ch.cold_bus)
                    .and_then(|b| b.t_supply_c)
                    .unwrap_or(7.0);
                let eer = match ch.eer {
                    Some(e) => vec![e; axis.n_steps],
                    None => weather
                        .t_air_c
                        .iter()
                        .map(|t| {
                            let t_cond = (t + ch.condenser_approach_k).max(T_COND_MIN_C);
                            eer_carnot(chilled, t_cond, ch.carnot_fraction)
                        })
                        .collect(),
                };
                push(Quantity::Eer, eer, None);
            }
            AssetRef::Grid(_)
            | AssetRef::Chp(_)
            | AssetRef::Battery(_)
            | AssetRef::ThermalStore(_)
            | AssetRef::GasBoiler(_)
            | AssetRef::ElectricBoiler(_)
            | AssetRef::AbsorptionChiller(_) => {}
        }
    }
    Ok(ParkProfiles {
        axis,
        weather,
        series,
        notes,
        extra_demand_kw: Vec::new(),
    })
}

fn heat_supply_c(park: &Park, bus: &str) -> f64 {
    park.bus(bus)
        .filter(|b| b.carrier == Carrier::Heat)
        .and_then(|b| b.t_supply_c)
        .unwrap_or(55.0)
}

fn load_weather(park: &Park, axis: &TimeAxis) -> Result<Weather, ResourceError> {
    let site = &park.site;
    match park.weather.source {
        WeatherSource::Synthetic => {
            let info = SiteInfo {
                latitude_deg: site.latitude_deg,
                longitude_deg: site.longitude_deg,
                elevation_m: site.elevation_m,
            };
            let s = synthetic_year(info, axis, park.weather.climate(), park.weather.seed)?;
            Ok(Weather {
                native: s.series.clone(),
                synthetic: Some(s),
            })
        }
        WeatherSource::Epw => {
            let (path, name) = weather_file(park)?;
            let epw = parse_epw(&name, &read_text(&path)?)?;
            Ok(Weather {
                native: epw.to_series(axis.year(), &name)?,
                synthetic: None,
            })
        }
        WeatherSource::Csv => {
            let (path, name) = weather_file(park)?;
            let table = parse_csv(&name, &read_text(&path)?)?;
            let start = axis.start.fixed_offset();
            let n_native = axis.n_steps * axis.step_min as usize / table.step_min.max(1) as usize;
            let step = if table.step_min >= axis.step_min && table.step_min % axis.step_min == 0 {
                table.step_min
            } else {
                axis.step_min
            };
            table.check_axis(start, step, n_native)?;
            let site = CsvSite {
                latitude_deg: site.latitude_deg,
                longitude_deg: site.longitude_deg,
                elevation_m: site.elevation_m,
            };
            Ok(Weather {
                native: weather_from_csv(&table, site)?,
                synthetic: None,
            })
        }
    }
}

fn weather_file(park: &Park) -> Result<(std::path::PathBuf, String), ResourceError> {
    let file = park
        .weather
        .file
        .as_ref()
        .ok_or_else(|| ResourceError::Park(String::from("weather.file is missing")))?;
    let path = park.resolve(file);
    let name = path.display().to_string();
    Ok((path, name))
}

/// Carries a series from the weather's step to the park's: each weather value held over the park
/// steps it covers (weather step a multiple of the park step).
fn to_axis(values: &[f64], weather_step_min: u32, axis: &TimeAxis) -> Vec<f64> {
    let repeat = (weather_step_min / axis.step_min).max(1) as usize;
    let mut out: Vec<f64> = values
        .iter()
        .flat_map(|&v| std::iter::repeat_n(v, repeat))
        .collect();
    out.resize(axis.n_steps, values.last().copied().unwrap_or(0.0));
    out
}

fn resample_weather(w: &WeatherSeries, axis: &TimeAxis) -> WeatherSeries {
    let times = (0..axis.n_steps)
        .map(|i| axis.time(i).fixed_offset())
        .collect();
    w.remapped(times, axis.step_min, |v| to_axis(v, w.step_min, axis))
}

/// A profile column from its CSV file, on the park's axis, in kW.
fn read_profile(
    park: &Park,
    axis: &TimeAxis,
    id: &str,
    profile: &Profile,
    rating_kw: f64,
) -> Result<Vec<f64>, ResourceError> {
    let path = park.resolve(&profile.file);
    let name = path.display().to_string();
    let table: CsvTable = parse_csv(&name, &read_text(&path)?)?;
    table.check_axis(axis.start.fixed_offset(), axis.step_min, axis.n_steps)?;
    let column = profile.column.as_deref().unwrap_or(id);
    // Every profile is a demand or an availability: never negative; per unit of a rating, at
    // most 1.
    Ok(match profile.unit {
        ProfileUnit::Kw => table.column_within(
            column,
            0.0,
            f64::INFINITY,
            "a profile in kW is a demand or an availability, never negative",
        )?,
        ProfileUnit::PerUnit => table
            .column_within(
                column,
                0.0,
                1.0,
                "a per-unit profile is a share of the rating, 0 to 1",
            )?
            .into_iter()
            .map(|v| v * rating_kw)
            .collect(),
    })
}

fn pv_series(
    park: &Park,
    axis: &TimeAxis,
    w: &Weather,
    pv: &Pv,
    only: Option<(usize, usize)>,
) -> Result<Vec<f64>, ResourceError> {
    if let Some(p) = &pv.profile {
        return read_profile(park, axis, &pv.id, p, pv.p_dc_kw);
    }
    let system = PvSystem::from_model(pv);
    let native = &w.native;
    // The native weather steps under axis steps `offset .. offset + len`, when they line up
    // (native steps a whole number of axis steps, the window on native boundaries).
    let native_range = only.and_then(|(offset, len)| {
        let k = (native.step_min / axis.step_min.max(1)) as usize;
        let aligned = native.step_min % axis.step_min.max(1) == 0
            && k > 0
            && offset % k == 0
            && len % k == 0
            && (offset + len) / k <= native.len();
        aligned.then(|| (offset, offset / k..(offset + len) / k))
    });
    let Some((offset, range)) = native_range else {
        let out = pv_output(&system, native)?;
        let ac: Vec<f64> = out.iter().map(|s| s.p_ac_kw).collect();
        return Ok(to_axis(&ac, native.step_min, axis));
    };
    let cut = native.remapped(native.times[range.clone()].to_vec(), native.step_min, |v| {
        v[range.clone()].to_vec()
    });
    let ac: Vec<f64> = pv_output(&system, &cut)?
        .iter()
        .map(|s| s.p_ac_kw)
        .collect();
    let window = to_axis(
        &ac,
        native.step_min,
        &axis.window(
            offset,
            ac.len() * (native.step_min / axis.step_min) as usize,
        ),
    );
    let mut out = vec![0.0; axis.n_steps];
    out[offset..offset + window.len()].copy_from_slice(&window);
    Ok(out)
}

/// The turbine's power curve (built-in, in the park file, or from its CSV file) and hub height.
fn wind_curve(park: &Park, wind: &Wind) -> Result<(PowerCurve, f64), ResourceError> {
    let builtin = wind.turbine.as_deref().and_then(catalog::turbine);
    let curve = match (&wind.power_curve, &wind.power_curve_file, &builtin) {
        (Some(c), _, _) => c.clone(),
        (None, Some(file), _) => {
            let path = park.resolve(file);
            let name = path.display().to_string();
            PowerCurve::from_csv(&read_text(&path)?)
                .map_err(|(line, msg)| DataError::at(&name, line, "power curve", msg))?
        }
        (None, None, Some(t)) => t.curve.clone(),
        (None, None, None) => {
            return Err(ResourceError::Park(format!(
                "wind '{}' has no power curve",
                wind.id
            )));
        }
    };
    let hub = wind
        .hub_height_m
        .or(builtin.as_ref().map(|t| t.hub_height_m))
        .unwrap_or(80.0);
    Ok((curve, hub))
}

fn wind_series(
    park: &Park,
    axis: &TimeAxis,
    w: &Weather,
    wind: &Wind,
    curve: &PowerCurve,
    hub: f64,
) -> Result<Vec<f64>, ResourceError> {
    let rated = curve.p_kw.iter().copied().fold(0.0, f64::max) * f64::from(wind.n_turbines);
    if let Some(p) = &wind.profile {
        return read_profile(park, axis, &wind.id, p, rated);
    }
    let s = &w.native;
    let shear = HeightLaw::Power {
        alpha: FARM_SHEAR_ALPHA,
    };
    // Wind at the farm's reference height: the farm's own resource when given, else the weather's.
    let (v_ref, ref_m): (Vec<f64>, f64) = match (wind.wind_mean_m_per_s, wind.wind_height_m) {
        (Some(mean), Some(height)) => match &w.synthetic {
            Some(syn) => (
                syn.farm_wind(mean, wind.weibull_k.unwrap_or(DEFAULT_FARM_WEIBULL_K)),
                height,
            ),
            None => {
                let at: Vec<f64> = s
                    .wind_m_per_s
                    .iter()
                    .map(|&v| shear.extrapolate(v, s.wind_height_m, height))
                    .collect();
                let have = at.iter().sum::<f64>() / at.len().max(1) as f64;
                let k = if have > 0.0 { mean / have } else { 1.0 };
                (at.into_iter().map(|v| v * k).collect(), height)
            }
        },
        _ => (s.wind_m_per_s.clone(), s.wind_height_m),
    };
    let n = f64::from(wind.n_turbines);
    let p: Vec<f64> = (0..s.len())
        .map(|i| {
            let v_hub = shear.extrapolate(v_ref[i], ref_m, hub);
            let rho = air_density(s.t_air_c[i], s.pressure_pa[i], hub);
            turbine_kw(curve, v_hub, Some(rho)) * n * (1.0 - wind.losses_frac)
        })
        .collect();
    Ok(to_axis(&p, s.step_min, axis))
}

fn data_centre_series(
    park: &Park,
    axis: &TimeAxis,
    dc: &DataCentre,
) -> Result<Vec<f64>, ResourceError> {
    match &dc.profile {
        Some(p) => read_profile(park, axis, &dc.id, p, dc.p_it_kw * dc.pue),
        None => Ok(vec![dc.p_mean_kw(); axis.n_steps]),
    }
}

/// Local date and hour of each step.
fn local_steps(axis: &TimeAxis) -> Vec<(chrono::NaiveDate, u32)> {
    (0..axis.n_steps)
        .map(|i| {
            let t = axis.time(i);
            (t.date_naive(), t.hour())
        })
        .collect()
}

fn demand_series(
    park: &Park,
    axis: &TimeAxis,
    id: &str,
    shape: Option<LoadShape>,
    annual_kwh: Option<f64>,
    profile: Option<&Profile>,
) -> Result<Vec<f64>, ResourceError> {
    let raw = match profile {
        Some(p) => read_profile(park, axis, id, p, 0.0)?,
        None => local_steps(axis)
            .into_iter()
            .map(|(date, hour)| {
                shape_weight(
                    shape.unwrap_or_default(),
                    day_type(date),
                    date.month(),
                    hour,
                )
            })
            .collect(),
    };
    let Some(target) = annual_kwh else {
        return Ok(raw);
    };
    let energy: f64 = raw.iter().sum::<f64>() * axis.step_h();
    if energy <= 0.0 {
        return Err(ResourceError::Park(format!(
            "'{id}': the demand profile sums to zero and cannot be scaled"
        )));
    }
    Ok(raw.into_iter().map(|v| v * target / energy).collect())
}

fn heat_series(
    park: &Park,
    axis: &TimeAxis,
    weather: &WeatherSeries,
    h: &HeatLoad,
) -> Result<Vec<f64>, ResourceError> {
    if let Some(p) = &h.profile {
        return read_profile(park, axis, &h.id, p, 0.0);
    }
    let steps = local_steps(axis);
    let in_season: Vec<bool> = steps
        .iter()
        .map(|(d, _)| park.site.in_heating_season(d.month(), d.day()))
        .collect();
    let mut q = space_heating_kw(
        &weather.t_air_c,
        &in_season,
        axis.step_h(),
        h.design_kw().unwrap_or(0.0),
        h.t_design_c,
        h.t_indoor_c,
    );
    if h.dhw_annual_kwh > 0.0 {
        let w: Vec<f64> = steps
            .iter()
            .map(|(_, hour)| DHW_SHAPE[*hour as usize % 24])
            .collect();
        let energy: f64 = w.iter().sum::<f64>() * axis.step_h();
        for (x, wi) in q.iter_mut().zip(w) {
            *x += wi * h.dhw_annual_kwh / energy;
        }
    }
    Ok(q)
}

/// Cooling demand: the degree-hour model of [`space_cooling_kw`] in occupied steps (working days
/// 08:00–18:00 local time, or every step for a `continuous` load), or the load's profile.
fn cooling_series(
    park: &Park,
    axis: &TimeAxis,
    weather: &WeatherSeries,
    c: &CoolingLoad,
) -> Result<Vec<f64>, ResourceError> {
    if let Some(p) = &c.profile {
        return read_profile(park, axis, &c.id, p, 0.0);
    }
    let occupied: Vec<bool> = local_steps(axis)
        .into_iter()
        .map(|(date, hour)| {
            c.continuous || (day_type(date) == DayType::Working && (8..18).contains(&hour))
        })
        .collect();
    Ok(space_cooling_kw(
        &weather.t_air_c,
        &occupied,
        axis.step_h(),
        c.design_kw().unwrap_or(0.0),
        c.t_design_c,
        c.t_balance_c,
    ))
}

/// Unmanaged charging: on charging days, full station power from arrival until the day's energy
/// is delivered (or departure).
fn ev_series(park: &Park, axis: &TimeAxis, ev: &EvCharging) -> Result<Vec<f64>, ResourceError> {
    if let Some(p) = &ev.profile {
        return read_profile(park, axis, &ev.id, p, ev.p_max_kw());
    }
    let step_h = axis.step_h();
    let p_max = ev.p_max_kw();
    let mut out = vec![0.0; axis.n_steps];
    let mut remaining = 0.0;
    let mut charging = false;
    for (i, (date, _)) in local_steps(axis).into_iter().enumerate() {
        let local = axis.time(i);
        let (hour, minute) = (local.hour(), local.minute());
        let charge_day = !ev.working_days_only || day_type(date) == DayType::Working;
        if hour == ev.arrival_h && minute == 0 && charge_day {
            remaining = ev.e_daily_kwh;
            charging = true;
        }
        if charging && hour == ev.departure_h % 24 && minute == 0 && ev.departure_h != ev.arrival_h
        {
            charging = false;
        }
        if charging && remaining > 0.0 {
            let p = p_max.min(remaining / step_h);
            out[i] = p;
            remaining -= p * step_h;
        }
    }
    Ok(out)
}
