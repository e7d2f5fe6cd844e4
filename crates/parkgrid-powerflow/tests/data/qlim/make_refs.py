"""Reference solutions: Newton power flow WITH generator reactive limits (PV -> PQ switching).

Run with PYPOWER 5.1.21 (numpy, scipy) installed, e.g.
    python3 -m venv /tmp/qlimvenv && /tmp/qlimvenv/bin/pip install PYPOWER==5.1.21 numpy scipy
    /tmp/qlimvenv/bin/python make_refs.py

For each ../caseN.m (parsed here; PYPOWER's bundled cases are not used) this runs the
power flow with PF_ALG=1 (Newton), PF_TOL=1e-8, ENFORCE_Q_LIMS=1, started from the
case's voltages, and writes caseN_bus.csv, caseN_gen.csv and caseN_branch.csv here.

PYPOWER 5.1.21's own pypower.runpf crashes (IndexError, float array used as an index
at runpf.py line 212) as soon as any generator violates a Q limit, so `runpf_qlim`
below is a line-by-line transcription of the AC part of pypower/runpf.py (= MATPOWER's
lib/runpf.m) built from PYPOWER's own functions (ext2int, makeYbus, makeSbus,
newtonpf, pfsoln, bustypes, int2ext), with only these mechanical fixes:
  * integer casts where gen[:, GEN_BUS] is used as an index (runpf.py 212, 282);
  * `remaining` test written as in MATPOWER: (type == PV) | (type == REF)
    (PYPOWER's `a == PV | b == REF` is an operator-precedence bug);
  * infeasibility test as in MATPOWER: same set of gens AND all on the same limit;
  * `bus[pv, BUS_TYPE] = PV` (PYPOWER writes `= pv`, the index array) and the
    ref-changed test done on arrays;
  * Q limits checked only after a converged run (MATPOWER: `if success && qlim`);
  * Newton iteration counts kept (PYPOWER discards them; MATPOWER sums them into
    results.iterations).
Where PYPOWER's runpf does not crash (no violation) its result is asserted to be
bit-identical to runpf_qlim's. Every solution is also checked independently.
"""
import os
import re
import numpy as np
from pypower.api import runpf, ppoption
from pypower.ext2int import ext2int
from pypower.int2ext import int2ext
from pypower.makeYbus import makeYbus
from pypower.makeSbus import makeSbus
from pypower.newtonpf import newtonpf
from pypower.pfsoln import pfsoln
from pypower.bustypes import bustypes
from pypower.idx_bus import BUS_I, BUS_TYPE, PD, QD, VM, VA, REF, PV, PQ
from pypower.idx_gen import GEN_BUS, PG, QG, QMAX, QMIN, VG, GEN_STATUS
from pypower.idx_brch import F_BUS, T_BUS, BR_STATUS, PF, QF, PT, QT

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)
CASES = ["case9", "case14", "case30", "case57", "case118"]
OPT = ppoption(PF_ALG=1, PF_TOL=1e-8, ENFORCE_Q_LIMS=1, VERBOSE=0, OUT_ALL=0)


def parse_matrix(text, name):
    """Numbers between `mpc.<name> = [` and `];`; rows split on `;` or newline, `%` comments."""
    body = re.search(r"mpc\.%s\s*=\s*\[(.*?)\];" % name, text, re.S).group(1)
    rows = []
    for line in body.split("\n"):
        for row in line.split("%")[0].split(";"):
            if row.split():
                rows.append([float(x) for x in row.split()])
    return np.array(rows)


def load_case(path):
    text = open(path).read()
    base = float(re.search(r"mpc\.baseMVA\s*=\s*([-+.\deE]+)", text).group(1))
    return {"version": "2", "baseMVA": base, "bus": parse_matrix(text, "bus"),
            "gen": parse_matrix(text, "gen"), "branch": parse_matrix(text, "branch")}


def runpf_qlim(casedata, ppopt):
    """AC branch of pypower.runpf with ENFORCE_Q_LIMS (see module docstring)."""
    ppc = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in casedata.items()}
    if ppc["branch"].shape[1] < QT + 1:
        ppc["branch"] = np.c_[ppc["branch"], np.zeros((ppc["branch"].shape[0], QT + 1 - ppc["branch"].shape[1]))]
    ppc = ext2int(ppc)
    baseMVA, bus, gen, branch = ppc["baseMVA"], ppc["bus"], ppc["gen"], ppc["branch"]
    qlim = ppopt["ENFORCE_Q_LIMS"]
    ref, pv, pq = bustypes(bus, gen)
    on = np.flatnonzero(gen[:, GEN_STATUS] > 0)
    gbus = gen[on, GEN_BUS].astype(int)

    V0 = bus[:, VM] * np.exp(1j * np.pi / 180 * bus[:, VA])
    vcb = np.ones(V0.shape)
    vcb[pq] = 0
    k = np.flatnonzero(vcb[gbus])
    V0[gbus[k]] = gen[on[k], VG] / abs(V0[gbus[k]]) * V0[gbus[k]]

    ref0, Varef0 = ref, bus[ref, VA].copy()
    limited = np.array([], dtype=int)
    fixedQg = np.zeros(gen.shape[0])
    Ybus, Yf, Yt = makeYbus(baseMVA, bus, branch)
    its, rounds = [], []                      # NR iterations per run; gens switched per round

    while True:
        Sbus = makeSbus(baseMVA, bus, gen)
        V, success, it = newtonpf(Ybus, Sbus, V0, ref, pv, pq, ppopt)
        its.append(it)
        bus, gen, branch = pfsoln(baseMVA, bus, gen, branch, Ybus, Yf, Yt, V, ref, pv, pq)
        if not (success and qlim):
            break
        gon = gen[:, GEN_STATUS] > 0
        mx = np.flatnonzero(gon & (gen[:, QG] > gen[:, QMAX] + ppopt["OPF_VIOLATION"]))
        mn = np.flatnonzero(gon & (gen[:, QG] < gen[:, QMIN] - ppopt["OPF_VIOLATION"]))
        if len(mx) == 0 and len(mn) == 0:
            break                               # no more violations
        infeas = np.union1d(mx, mn)
        gtype = bus[gen[:, GEN_BUS].astype(int), BUS_TYPE]
        remaining = np.flatnonzero(gon & ((gtype == PV) | (gtype == REF)))
        if len(infeas) == len(remaining) and np.all(infeas == remaining) and (len(mx) == 0 or len(mn) == 0):
            success = 0                         # all remaining gens violate the same limit
            break
        if qlim == 2:                           # one at a time: largest violation only
            kk = np.argmax(np.r_[gen[mx, QG] - gen[mx, QMAX], gen[mn, QMIN] - gen[mn, QG]])
            mx, mn = (mx[[kk]], mn[:0]) if kk < len(mx) else (mx[:0], mn[[kk - len(mx)]])
        fixedQg[mx] = gen[mx, QMAX]
        fixedQg[mn] = gen[mn, QMIN]
        rounds.append([(int(g), "max") for g in mx] + [(int(g), "min") for g in mn])
        mx = np.r_[mx, mn].astype(int)
        gen[mx, QG] = fixedQg[mx]               # fix Qg at the limit,
        for g in mx:                            # turn the gen off, fold it into the load
            gen[g, GEN_STATUS] = 0
            bi = int(gen[g, GEN_BUS])
            bus[bi, [PD, QD]] = bus[bi, [PD, QD]] - gen[g, [PG, QG]]
        if len(ref) > 1 and np.any(bus[gen[mx, GEN_BUS].astype(int), BUS_TYPE] == REF):
            raise ValueError("cannot enforce Q limits for slack buses with multiple slacks")
        bus[gen[mx, GEN_BUS].astype(int), BUS_TYPE] = PQ
        ref_temp = ref
        ref, pv, pq = bustypes(bus, gen)        # picks the first PV bus if the slack went PQ
        if not np.array_equal(ref, ref_temp):
            bus[ref, BUS_TYPE] = REF
            bus[pv, BUS_TYPE] = PV
        limited = np.r_[limited, mx].astype(int)

    if qlim and len(limited) > 0:               # restore the limited gens
        gen[limited, QG] = fixedQg[limited]
        for g in limited:
            bi = int(gen[g, GEN_BUS])
            bus[bi, [PD, QD]] = bus[bi, [PD, QD]] + gen[g, [PG, QG]]
            gen[g, GEN_STATUS] = 1
        if not np.array_equal(ref, ref0):       # shift angles back to the original slack
            bus[:, VA] = bus[:, VA] - bus[ref0, VA] + Varef0

    ppc["success"] = success
    ppc["bus"], ppc["gen"], ppc["branch"] = bus, gen, branch
    results = int2ext(ppc)
    # (no gen/branch is out of service in these cases, so no zeroing of their results)
    i2e = results["order"]["bus"]["i2e"]
    info = {"its": its, "rounds": rounds, "limited": {int(g): lim for r in rounds for g, lim in r},
            "new_ref": [int(i2e[r]) for r in ref] if not np.array_equal(ref, ref0) else []}
    return results, success, info


def check(case, res, info):
    """Independent check of the final state: bus balance, Vm at PV gens, Q within limits."""
    base, bus, gen, br = res["baseMVA"], res["bus"], res["gen"], res["branch"]
    icase = ext2int({k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in case.items()})
    assert np.array_equal(icase["order"]["bus"]["i2e"], bus[:, BUS_I])   # same bus order
    Ybus, _, _ = makeYbus(base, icase["bus"], icase["branch"])
    e2i = {int(b): i for i, b in enumerate(bus[:, BUS_I])}
    V = bus[:, VM] * np.exp(1j * np.pi / 180 * bus[:, VA])
    S = V * np.conj(Ybus @ V) * base
    Sg = np.zeros(len(bus), complex)
    for g in gen:
        Sg[e2i[int(g[GEN_BUS])]] += g[PG] + 1j * g[QG]
    mis = Sg - (bus[:, PD] + 1j * bus[:, QD]) - S
    assert np.abs(mis).max() < 1e-5, (np.abs(mis).max())
    for j, g in enumerate(gen):
        if j not in info["limited"]:
            assert abs(bus[e2i[int(g[GEN_BUS])], VM] - g[VG]) < 1e-12
        assert g[QMIN] - 5e-6 <= g[QG] <= g[QMAX] + 5e-6
    ref0 = case["bus"][:, BUS_TYPE] == REF
    assert np.allclose(bus[ref0, VA], case["bus"][ref0, VA], atol=1e-9)
    return np.abs(mis).max()


def fmt(x):
    return repr(float(x))


def write(name, case, res, info):
    bus, gen, br = res["bus"], res["gen"], res["branch"]
    with open(os.path.join(HERE, name + "_bus.csv"), "w") as f:
        f.write("bus_i,type,vm_pu,va_deg\n")
        for b0, b in zip(case["bus"], bus):
            f.write("%d,%d,%s,%s\n" % (b0[BUS_I], b0[BUS_TYPE], fmt(b[VM]), fmt(b[VA])))
    with open(os.path.join(HERE, name + "_gen.csv"), "w") as f:
        f.write("row,bus,status,pg_mw,qg_mvar,qmax_mvar,qmin_mvar,at_limit\n")
        for j, g in enumerate(gen):
            f.write("%d,%d,%d,%s,%s,%s,%s,%s\n" % (j + 1, g[GEN_BUS], g[GEN_STATUS], fmt(g[PG]), fmt(g[QG]),
                                                  fmt(g[QMAX]), fmt(g[QMIN]), info["limited"].get(j, "")))
    with open(os.path.join(HERE, name + "_branch.csv"), "w") as f:
        f.write("row,f_bus,t_bus,status,pf_mw,qf_mvar,pt_mw,qt_mvar\n")
        for j, r in enumerate(br):
            f.write("%d,%d,%d,%d,%s,%s,%s,%s\n" % (j + 1, r[F_BUS], r[T_BUS], r[BR_STATUS],
                                                  fmt(r[PF]), fmt(r[QF]), fmt(r[PT]), fmt(r[QT])))


def main():
    for name in CASES:
        case = load_case(os.path.join(DATA, name + ".m"))
        res, ok, info = runpf_qlim(case, OPT)
        try:                                    # PYPOWER's own runpf, where it works
            ref_res, ref_ok = runpf(load_case(os.path.join(DATA, name + ".m")), OPT)
            same = (ref_ok == ok) and all(np.array_equal(ref_res[k], res[k]) for k in ("bus", "gen", "branch"))
            pyp = "identical" if same else "DIFFERENT"
            assert same
        except (IndexError, TypeError) as e:
            pyp = "crashes (%s: %s)" % (type(e).__name__, e)
        mis = check(case, res, info)
        write(name, case, res, info)
        gb = {j: int(res["gen"][j, GEN_BUS]) for j in range(len(res["gen"]))}
        print("%s: converged=%d NR runs=%d iterations=%s total=%d max mismatch=%.1e MVA; pypower.runpf %s"
              % (name, ok, len(info["its"]), info["its"], sum(info["its"]), mis, pyp))
        for r, rnd in enumerate(info["rounds"]):
            print("  round %d switched (gen row/bus/limit): %s" % (r + 1, [(g + 1, gb[g], l) for g, l in rnd]))
        if info["new_ref"]:
            print("  new slack bus:", info["new_ref"])


if __name__ == "__main__":
    main()
