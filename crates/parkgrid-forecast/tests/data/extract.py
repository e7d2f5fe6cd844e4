#!/usr/bin/env python3
"""Writes the forecast crate's real-data fixtures from the PyPI packages that ship them.

    pip install pvanalytics==0.2.2 simbench==1.6.3 pyarrow
    python3 crates/parkgrid-forecast/tests/data/extract.py

Sources and licences are in README.md next to this script.
"""
import os

import numpy as np
import pandas as pd
import pvanalytics
import simbench

HERE = os.path.dirname(os.path.abspath(__file__))
PV = os.path.join(os.path.dirname(pvanalytics.__file__), "data")
SB = os.path.join(os.path.dirname(simbench.__file__), "networks",
                  "1-complete_data-mixed-all-2-sw", "LoadProfile.csv")


def write(name, frame, fmt):
    path = os.path.join(HERE, name)
    frame.to_csv(path, index=False, float_format=fmt, na_rep="",
                 date_format="%Y-%m-%d %H:%M")
    print(f"{name}: {len(frame)} rows, {os.path.getsize(path)} bytes")


# NREL system 50: a year (2012) of 15-minute AC power, W, in the plant's standard time
# (UTC-7, as the file's fixed offset); NaN kept as gaps.
s50 = pd.read_parquet(os.path.join(PV, "system_50_ac_power_2_full_DST.parquet"))
s50["time"] = pd.to_datetime(s50.measured_on).dt.tz_localize(None)
s50 = s50[(s50.time >= "2012-01-01") & (s50.time < "2013-01-01")]
write("pv_system50_2012.csv",
      pd.DataFrame({"time": s50.time, "ac_power_w": s50.ac_power_2.round(1)}), "%.1f")

# NREL SERF East: 104 days (July–October 2016) of 15-minute AC power, W (night tare negative).
serf = pd.read_csv(os.path.join(PV, "serf_east_15min_ac_power.csv"))
serf["time"] = pd.to_datetime(serf.measured_on.str.slice(0, 19))
write("pv_serf_east_2016.csv",
      pd.DataFrame({"time": serf.time, "ac_power_w": serf.ac_power.round(1)}), "%.1f")

# SimBench: a year (2016) of 15-minute active-power load profiles (per unit of the annual
# peak's scale): a household (H0-A), a business open on working days (G1-A) and an MV
# commercial feeder (mv_comm). The file's own times follow the German clock change (a
# repeated hour in October); its 35,136 rows are consecutive quarter hours, labelled here
# in standard time (UTC+1).
sb = pd.read_csv(SB, sep=";")
assert len(sb) == 366 * 96
time = pd.date_range("2016-01-01", periods=len(sb), freq="15min")
write("load_simbench_2016.csv",
      pd.DataFrame({"time": time, "h0_a": sb["H0-A_pload"], "g1_a": sb["G1-A_pload"],
                    "mv_comm": sb["mv_comm_pload"]}).round(4), "%.4f")
