#!/usr/bin/env python3
"""A year of day-ahead forecasts with their backtest: parkgrid against statsmodels' Holt-Winters.

Both issue a forecast at every midnight from day 28 of the year, 96 quarter hours ahead, from
the values before it only, and are scored on the same points (RMSE). The peer is statsmodels'
`ExponentialSmoothing` (additive trend-free, additive daily season of 96 steps), refitted at each
origin on the four weeks before it — the usual way to backtest it.

    pip install statsmodels pandas
    cargo build --release -p parkgrid
    python3 crates/parkgrid-forecast/benches/peer_backtest.py [--column h0_a] [--origins N]
"""
import argparse
import json
import os
import subprocess
import time
import warnings

import numpy as np
import pandas as pd
from statsmodels.tsa.holtwinters import ExponentialSmoothing

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DATA = os.path.join(ROOT, "crates/parkgrid-forecast/tests/data/load_simbench_2016.csv")
HOLIDAYS = "2016-01-01,2016-03-25,2016-03-28,2016-05-05,2016-05-16,2016-05-26,2016-10-03,2016-11-01,2016-12-26"


def parkgrid(column):
    cmd = [os.path.join(ROOT, "target/release/parkgrid"), "forecast", "backtest", DATA,
           "--target", column, "--calendar", "weekdays", "--holidays", HOLIDAYS, "--json"]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    report = json.loads(out)["report"]
    best = next(s for s in report["scores"] if s["model"] == report["best"])
    return wall, report["origins"], report["best"], best["rmse"]


def peer(column, max_origins):
    y = pd.read_csv(DATA)[column].to_numpy()
    D = 96
    errors = []
    origins = 0
    t0 = time.perf_counter()
    for day in range(28, len(y) // D):
        if max_origins and origins >= max_origins:
            break
        o = day * D
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ExponentialSmoothing(y[o - 28 * D:o], seasonal="add", seasonal_periods=D).fit()
        f = fit.forecast(D)
        errors.append(f - y[o:o + D])
        origins += 1
    wall = time.perf_counter() - t0
    e = np.concatenate(errors)
    return wall, origins, float(np.sqrt(np.mean(e * e)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--column", default="h0_a")
    ap.add_argument("--origins", type=int, default=0, help="limit the peer's origins (0: all)")
    a = ap.parse_args()
    pw, po, model, prmse = parkgrid(a.column)
    sw, so, srmse = peer(a.column, a.origins)
    print(f"parkgrid: {po} origins, every model scored, {pw:.2f} s wall; best {model} RMSE {prmse:.4f}")
    print(f"statsmodels ExponentialSmoothing: {so} origins, one model, {sw:.2f} s wall; RMSE {srmse:.4f}")
    print(f"time per origin ratio (parkgrid all models / peer one model): {(pw / po) / (sw / so):.4f}")


if __name__ == "__main__":
    main()
