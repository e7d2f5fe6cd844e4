"""The peer of `parkgrid powerflow CASE.m --json` as a whole process: lightsim2grid (C++, KLU)
reading the MATPOWER file itself (`lightsim2grid.network.init_from_matpower`, which parses the .m
with matpowercaseframes), Newton–Raphson from a flat start at 1e-8, and the results written as
JSON to standard output — the same work, from process start to exit.

    python3 peer_whole_process.py CASE.m            # one whole run; phase times on stderr
    python3 peer_whole_process.py CASE.m --compare N [--parkgrid PATH]
        # N runs each of this script and of `parkgrid powerflow CASE.m --json`, alternating,
        # wall times of the whole processes, median and min, and the ratio.

Needs: pip install lightsim2grid matpowercaseframes (lightsim2grid >= 1.2).
"""
import json
import statistics
import subprocess
import sys
import time


def one_run(path):
    t0 = time.perf_counter()
    import warnings

    import numpy as np
    from lightsim2grid.network import init_from_matpower

    warnings.filterwarnings("ignore")
    t1 = time.perf_counter()
    model = init_from_matpower(path)
    t2 = time.perf_counter()
    v0 = np.ones(model.total_bus(), dtype=complex)
    v = model.ac_pf(v0, 10, 1e-8)
    t3 = time.perf_counter()
    converged = v.shape[0] > 0
    iterations = int(model.get_algo().get_nb_iter())
    p_or, q_or, _, _ = model.get_line_res1()
    p_ex, q_ex, _, _ = model.get_line_res2()
    t_or, tq_or, _, _ = model.get_trafo_res1()
    t_ex, tq_ex, _, _ = model.get_trafo_res2()
    doc = {
        "converged": bool(converged),
        "iterations": iterations,
        "buses": [{"vm_pu": float(abs(x)), "va_deg": float(np.angle(x, deg=True))} for x in v],
        "lines": [
            {"pf_mw": float(a), "qf_mvar": float(b), "pt_mw": float(c), "qt_mvar": float(d)}
            for a, b, c, d in zip(p_or, q_or, p_ex, q_ex)
        ],
        "transformers": [
            {"pf_mw": float(a), "qf_mvar": float(b), "pt_mw": float(c), "qt_mvar": float(d)}
            for a, b, c, d in zip(t_or, tq_or, t_ex, tq_ex)
        ],
    }
    sys.stdout.write(json.dumps(doc, indent=2))
    sys.stdout.write("\n")
    sys.stdout.flush()
    t4 = time.perf_counter()
    print(
        f"imports {1e3 * (t1 - t0):.1f} ms, read {1e3 * (t2 - t1):.1f} ms, "
        f"Newton {1e3 * (t3 - t2):.1f} ms ({iterations} iterations), "
        f"JSON {1e3 * (t4 - t3):.1f} ms",
        file=sys.stderr,
    )


def compare(path, runs, parkgrid):
    commands = {
        "parkgrid": [parkgrid, "powerflow", path, "--json"],
        "lightsim2grid": [sys.executable, __file__, path],
    }
    times = {k: [] for k in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - t0)
    out = {
        name: {"median_ms": 1e3 * statistics.median(ts), "min_ms": 1e3 * min(ts), "runs": runs}
        for name, ts in times.items()
    }
    out["ratio_parkgrid_over_lightsim2grid"] = (
        out["parkgrid"]["median_ms"] / out["lightsim2grid"]["median_ms"]
    )
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    case = sys.argv[1]
    if "--compare" in sys.argv:
        n = int(sys.argv[sys.argv.index("--compare") + 1])
        exe = sys.argv[sys.argv.index("--parkgrid") + 1] if "--parkgrid" in sys.argv else "target/release/parkgrid"
        compare(case, n, exe)
    else:
        one_run(case)
