#!/usr/bin/env python3
"""Peer timing for benches/pv_chain.rs: pvlib's PVWatts chain (Perez) on the same EPW year.

Same computation as the reference in tests/data (solar position nrel_numpy at mid-hour with
pressure and temperature, Spencer extraterrestrial, Kasten-Young air mass, Perez POA, SAPM cell
temperature, PVWatts DC, losses, PVWatts inverter). Prints the median of the timed runs.

Usage: python benches/pvlib_peer.py [runs]   (needs pvlib; tested with 0.16.1)
"""
import os
import sys
import time

import numpy as np
import pandas as pd
import pvlib

HERE = os.path.dirname(os.path.abspath(__file__))
EPW = os.path.join(HERE, "..", "tests", "data", "greensboro_tmy3.epw")


def chain(data, meta):
    t = data.index + pd.Timedelta(minutes=30)
    sp = pvlib.solarposition.get_solarposition(
        t, meta["latitude"], meta["longitude"], altitude=meta["altitude"],
        pressure=data["atmospheric_pressure"].values, temperature=data["temp_air"].values,
        method="nrel_numpy")
    dni_extra = pvlib.irradiance.get_extra_radiation(t, method="spencer")
    am = pvlib.atmosphere.get_relative_airmass(sp["apparent_zenith"], model="kastenyoung1989")
    poa = pvlib.irradiance.get_total_irradiance(
        30.0, 180.0, sp["apparent_zenith"].values, sp["azimuth"].values,
        data["dni"].values, data["ghi"].values, data["dhi"].values,
        dni_extra=dni_extra.values, airmass=am.values, albedo=0.2, model="perez")
    e = np.nan_to_num(np.asarray(poa["poa_global"], dtype=float))
    tc = pvlib.temperature.sapm_cell(e, data["temp_air"].values, data["wind_speed"].values, -3.56, -0.075, 3)
    pdc = pvlib.pvsystem.pvwatts_dc(e, tc, 10000.0, -0.004)
    pdc = pdc * (1 - pvlib.pvsystem.pvwatts_losses() / 100)
    pac = pvlib.inverter.pvwatts(pdc, 10000.0 / 1.2 / 0.96, 0.96, 0.9637)
    return np.nan_to_num(np.clip(pac, 0, None)).sum() / 1000.0


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    data, meta = pvlib.iotools.read_epw(EPW, coerce_year=1990)
    chain(data, meta)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        mwh = chain(data, meta)
        times.append(time.perf_counter() - t0)
    print(f"pvlib {pvlib.__version__} PVWatts chain, Perez, 8760 h: median {np.median(times) * 1000:.1f} ms "
          f"over {runs} runs ({mwh:.2f} MWh)")


if __name__ == "__main__":
    main()
