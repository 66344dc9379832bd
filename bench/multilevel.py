"""Benchmark of werkplaats.stats.multilevel against lme4 and statsmodels.

Usage (from the repository root)::

    # quick (seconds): 20,000 rows, without the slow statsmodels fit
    PYTHONPATH=src python bench/multilevel.py --no-statsmodels
    # the measured table in docs/multilevel.md (about 17 minutes)
    PYTHONPATH=src python bench/multilevel.py --sizes 200000 1000000 --insteval

statsmodels gets ``--sm-timeout`` seconds (default 600) per fit; after it times
out on one size, larger sizes are skipped.

The growth design is ``y ~ time * x + (time | client) + (1 | professional) +
(1 | team)``: 5 waves, about 15% drop-out by the last wave, 100 clients per
professional, 10 professionals per team (``simulate_growth``).  Each fit runs
in its own child process; wall time is the time of the fit itself (reading the
CSV excluded), peak memory is the child's maximum resident set size (which
includes reading the data).  lme4 runs through ``Rscript`` when it is on the
PATH; statsmodels' MixedLM runs when it is installed, with a time limit.

statsmodels cannot express this model exactly: MixedLM has one grouping
factor with independent variance components inside it, so it is fitted with
groups = team and independent components for professional, client intercept
and client slope (no intercept-slope correlation).  Its "max rel. diff"
therefore covers the fixed effects only.  Crossed factors (InstEval) would
need a single all-encompassing group; that is not attempted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GROWTH = "y ~ time * x + (time | client) + (1 | professional) + (1 | team)"
INSTEVAL = "y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept)"
FACTORS = {"growth": ["client", "professional", "team"], "insteval": ["s", "d", "dept", "service"]}

R_FIT = r"""
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
args <- commandArgs(TRUE)
d <- read.csv(args[1])
for (v in strsplit(args[3], ",")[[1]]) d[[v]] <- factor(d[[v]])
t0 <- proc.time()[["elapsed"]]
m <- lmer(as.formula(args[2]), data = d, REML = TRUE)
el <- proc.time()[["elapsed"]] - t0
vc <- as.data.frame(VarCorr(m))
out <- list(seconds = el, objective = unname(REMLcrit(m)), fixef = as.list(fixef(m)),
            vcov = vc$vcov, nfev = m@optinfo$feval,
            messages = paste(m@optinfo$conv$lme4$messages, collapse = "; "))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), args[4])
"""


# ---------------------------------------------------------------------------
# Children
def child_engine(data: str, formula: str, factors: list[str], out: str) -> None:
    import pandas as pd

    from werkplaats.stats.multilevel import fit_lmm

    d = pd.read_csv(data)
    for v in factors:
        d[v] = d[v].astype(str).astype("category")
    t0 = time.perf_counter()
    m = fit_lmm(formula, d)
    el = time.perf_counter() - t0
    res = {
        "seconds": el,
        "objective": m.objective,
        "fixef": m.fixef.to_dict(),
        "vcov": m.varcorr["vcov"].tolist(),
        "nfev": m.optimizer["nfev"],
        "messages": "; ".join(m.messages),
    }
    Path(out).write_text(json.dumps(res))


def child_statsmodels(data: str, which: str, out: str) -> None:
    import pandas as pd
    import statsmodels.formula.api as smf

    d = pd.read_csv(data)
    if which != "growth":
        raise SystemExit("statsmodels: only the growth design is attempted")
    t0 = time.perf_counter()
    model = smf.mixedlm(
        "y ~ time * x",
        d,
        groups="team",
        re_formula="1",
        vc_formula={
            "professional": "0 + C(professional)",
            "client": "0 + C(client)",
            "client_time": "0 + C(client):time",
        },
    )
    r = model.fit(reml=True)
    el = time.perf_counter() - t0
    fe = r.fe_params.rename({"Intercept": "(Intercept)"})
    res = {
        "seconds": el,
        "objective": -2 * float(r.llf),
        "fixef": {k: float(v) for k, v in fe.items()},
        "vcov": None,
        "nfev": None,
        "messages": "different model: no intercept-slope correlation",
    }
    Path(out).write_text(json.dumps(res))


# ---------------------------------------------------------------------------
# Parent
def run_child(cmd: list[str], timeout: float) -> tuple[dict | None, float, str]:
    """Run a child; return (result or None, peak memory in MiB, status text)."""
    out = cmd[-1]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    start = time.monotonic()
    status = None
    rusage = None
    while True:
        pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            status, rusage = st, ru
            break
        if time.monotonic() - start > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            _, status, rusage = os.wait4(proc.pid, 0)
            return None, rusage.ru_maxrss / 1024, f"timed out after {timeout:.0f} s"
        time.sleep(0.2)
    log = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    mem = rusage.ru_maxrss / 1024  # Linux reports KiB
    if os.waitstatus_to_exitcode(status) != 0 or not Path(out).exists():
        return (
            None,
            mem,
            "failed: " + log.strip().splitlines()[-1][:120] if log.strip() else "failed",
        )
    return json.loads(Path(out).read_text()), mem, "ok"


def rel_diff(res: dict, ref: dict | None, fixed_only: bool = False) -> float | None:
    if ref is None or res is None:
        return None
    diffs = []
    for k, v in ref["fixef"].items():
        if k in res["fixef"]:
            diffs.append(abs(res["fixef"][k] - v) / max(abs(v), 1e-12))
    if not fixed_only and res.get("vcov") is not None:
        for a, b in zip(res["vcov"], ref["vcov"]):
            diffs.append(abs(a - b) / max(abs(b), 1e-12))
    return max(diffs) if diffs else None


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[20000], help="numbers of observations")
    ap.add_argument("--insteval", action="store_true", help="add lme4's InstEval (needs Rscript)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument(
        "--timeout", type=float, default=1800.0, help="limit per engine/lme4 fit in seconds"
    )
    ap.add_argument(
        "--sm-timeout", type=float, default=600.0, help="limit per statsmodels fit in seconds"
    )
    ap.add_argument("--no-lme4", action="store_true")
    ap.add_argument("--no-statsmodels", action="store_true")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        kind, *rest = args.child
        if kind == "engine":
            data, formula, factors, out = rest
            child_engine(data, formula, [f for f in factors.split(",") if f], out)
        else:
            data, which, out = rest
            child_statsmodels(data, which, out)
        return

    here = Path(__file__).resolve()
    src = here.parent.parent / "src"
    env_path = os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])
    os.environ["PYTHONPATH"] = env_path
    sys.path.insert(0, str(src))
    from werkplaats.stats.multilevel.simulate import simulate_growth

    rscript = None if args.no_lme4 else shutil.which("Rscript")
    try:
        import statsmodels  # noqa: F401

        have_sm = not args.no_statsmodels
        sm_note = "" if have_sm else "disabled"
    except ImportError:
        have_sm, sm_note = False, "not installed"

    tmp = Path(tempfile.mkdtemp(prefix="mlbench-"))
    rows: list[tuple[str, str, str, str, str, str]] = []
    jobs: list[tuple[str, Path, str, str]] = []
    for n in args.sizes:
        d = simulate_growth(n, seed=args.seed)
        path = tmp / f"growth_{n}.csv"
        d.to_csv(path, index=False)
        jobs.append((f"growth n={len(d):,}", path, GROWTH, "growth"))
    if args.insteval:
        if rscript is None:
            rows.append(("InstEval", "all", "skipped: Rscript not found", "", "", ""))
        else:
            path = tmp / "insteval.csv"
            code = (
                "suppressPackageStartupMessages(library(lme4)); "
                f"write.csv(InstEval[, c('y','service','s','d','dept')], '{path.as_posix()}', row.names=FALSE)"
            )
            subprocess.run([rscript, "-e", code], check=True, capture_output=True)
            jobs.append(("InstEval n=73,421", path, INSTEVAL, "insteval"))

    sm_timed_out = False
    for label, path, formula, which in jobs:
        factors = ",".join(FACTORS[which])
        print(f"[{time.strftime('%H:%M:%S')}] {label}: werkplaats", file=sys.stderr, flush=True)
        res, mem, st = run_child(
            [
                sys.executable,
                str(here),
                "--child",
                "engine",
                str(path),
                formula,
                factors,
                str(tmp / "e.json"),
            ],
            args.timeout,
        )
        ref = None
        lres, lmem, lst = None, 0.0, "skipped: Rscript not found"
        if rscript is not None:
            print(f"[{time.strftime('%H:%M:%S')}] {label}: lme4", file=sys.stderr, flush=True)
            rfile = tmp / "r_fit.R"
            rfile.write_text(R_FIT)
            lres, lmem, lst = run_child(
                [rscript, str(rfile), str(path), formula, factors, str(tmp / "r.json")],
                args.timeout,
            )
            ref = lres
        rows.append(_row(label, "werkplaats", res, mem, st, rel_diff(res, ref)))
        rows.append(_row(label, "lme4", lres, lmem, lst, 0.0 if lres else None))
        if which != "growth":
            rows.append((label, "statsmodels", "not attempted (crossed factors)", "", "", ""))
        elif not have_sm:
            rows.append((label, "statsmodels", sm_note, "", "", ""))
        elif sm_timed_out:
            rows.append((label, "statsmodels", "skipped: timed out on a smaller size", "", "", ""))
        else:
            print(
                f"[{time.strftime('%H:%M:%S')}] {label}: statsmodels", file=sys.stderr, flush=True
            )
            sres, smem, sst = run_child(
                [
                    sys.executable,
                    str(here),
                    "--child",
                    "statsmodels",
                    str(path),
                    which,
                    str(tmp / "s.json"),
                ],
                args.sm_timeout,
            )
            sm_timed_out = sres is None and sst.startswith("timed out")
            rows.append(
                _row(label, "statsmodels*", sres, smem, sst, rel_diff(sres, ref, fixed_only=True))
            )
        for f in ("e.json", "r.json", "s.json"):
            (tmp / f).unlink(missing_ok=True)

    header = ("data", "engine", "wall time", "peak memory", "objective", "max rel. diff vs lme4")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    print(
        "\n* statsmodels fits a simpler model (no client intercept-slope correlation); "
        "its objective is -2 REML log-likelihood as statsmodels defines it, and the difference covers "
        "fixed effects only."
    )
    shutil.rmtree(tmp, ignore_errors=True)


def _row(label: str, engine: str, res: dict | None, mem: float, status: str, diff: float | None):
    if res is None:
        return (label, engine, status, f"{mem / 1024:.2f} GiB" if mem else "", "", "")
    extra = f" ({res['nfev']} evals)" if res.get("nfev") else ""
    return (
        label,
        engine,
        f"{res['seconds']:.1f} s{extra}",
        f"{mem / 1024:.2f} GiB",
        f"{res['objective']:.4f}",
        "reference" if engine == "lme4" else (f"{diff:.1e}" if diff is not None else "n/a"),
    )


if __name__ == "__main__":
    main()
