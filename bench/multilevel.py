"""Benchmark of werkplaats.stats.multilevel against lme4 (and statsmodels), side by side.

Usage (from the repository root)::

    # quick (a minute or two): 20,000 rows, one run each, without statsmodels
    PYTHONPATH=src python bench/multilevel.py --no-statsmodels --repeats 1
    # the table in docs/multilevel.md
    PYTHONPATH=src python bench/multilevel.py --sizes 200000 1000000 --insteval --crossed \
        --glmm-sizes 200000 --verbagg --no-statsmodels

Each design is fitted by this engine and by lme4 (``lmer``/``glmer`` through
``Rscript``) in the same run, alternately, each fit in its own child process,
``--repeats`` times (default 3); the table shows the median wall time of the
fit itself (reading the CSV excluded) and the largest peak resident memory of
the child (which includes reading the data), with the numbers of rows,
grouping levels and parameters (fixed effects + variance parameters, + the
residual SD for linear models).

With ``--refine`` each design is also fitted by lme4 started at the engine's estimates
with tight tolerances (``nloptwrap``, ``xtol_abs`` 1e-10, ``ftol_abs`` 1e-12; for
``glmer`` also ``tolPwrss`` 1e-10): where lme4's default fit stops early (the binary
growth design at 200,000 rows), this shows whether the engine's optimum is lme4's too,
and how far the engine's estimates are from the converged ones (with ``--no-lme4`` only
this lme4 fit is made).

Designs:

* growth: ``y ~ time * x + (time | client) + (1 | professional) + (1 | team)``,
  5 waves, ~15% drop-out, 100 clients per professional, 10 professionals per
  team (``simulate_growth``);
* InstEval: ``y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept:service)``;
* crossed: 1,000,000 ratings of 6,000 users by 4,000 items,
  ``y ~ x + (1 | user) + (1 | item)``;
* binary growth (GLMM, Laplace): ``attained ~ time * x + (time | client) +
  (1 | professional) + (1 | team)`` (``simulate_binary_growth``);
* VerbAgg (GLMM, Laplace): ``r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)``.

statsmodels' MixedLM (growth only, ``--sm-timeout`` seconds) cannot express
the growth model exactly: it is fitted with groups = team and independent
components for professional, client intercept and client slope, so its
"max rel. diff" covers the fixed effects only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GROWTH = "y ~ time * x + (time | client) + (1 | professional) + (1 | team)"
BGROWTH = "attained ~ time * x + (time | client) + (1 | professional) + (1 | team)"
INSTEVAL = "y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept:service)"
CROSSED = "y ~ x + (1 | user) + (1 | item)"
VERBAGG = "r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)"
FACTORS = {
    "growth": ["client", "professional", "team"],
    "insteval": ["s", "d", "dept", "service"],
    "crossed": ["user", "item"],
    "verbagg": ["id", "item", "Gender", "btype", "situ"],
}

R_FIT = r"""
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
args <- commandArgs(TRUE)
d <- read.csv(args[1])
for (v in strsplit(args[3], ",")[[1]]) d[[v]] <- factor(d[[v]])
glmm <- args[4] == "binomial"
if (glmm && !is.numeric(d[[all.vars(as.formula(args[2]))[1]]])) {
  v <- all.vars(as.formula(args[2]))[1]; d[[v]] <- factor(d[[v]])
}
t0 <- proc.time()
m <- if (glmm) glmer(as.formula(args[2]), data = d, family = binomial) else lmer(as.formula(args[2]), data = d, REML = TRUE)
pt <- proc.time() - t0
el <- pt[["elapsed"]]
cpu <- pt[["user.self"]] + pt[["sys.self"]]
vc <- as.data.frame(VarCorr(m))
out <- list(seconds = el, cpu = cpu, objective = if (glmm) unname(m@devcomp$cmp[["dev"]]) else unname(REMLcrit(m)),
            fixef = as.list(fixef(m)), vcov = vc$vcov, nfev = m@optinfo$feval,
            messages = paste(m@optinfo$conv$lme4$messages, collapse = "; "))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), args[5])
"""

# lme4 started at the engine's estimates with tight tolerances (``--refine``): if the
# engine's optimum is lme4's too, lme4 stays there, and the estimates agree to the
# tolerance; a better optimum nearby would be found and shown.
R_REFINE = r"""
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
args <- commandArgs(TRUE)
d <- read.csv(args[1])
for (v in strsplit(args[3], ",")[[1]]) d[[v]] <- factor(d[[v]])
glmm <- args[4] == "binomial"
start <- fromJSON(args[5])
f <- as.formula(args[2])
tight <- list(xtol_abs = 1e-10, ftol_abs = 1e-12, xtol_rel = 1e-12, ftol_rel = 1e-14, maxeval = 100000)
t0 <- proc.time()
if (glmm) {
  names_x <- colnames(model.matrix(nobars(f), d))
  beta <- unlist(start$fixef)[names_x]
  m <- glmer(f, data = d, family = binomial, start = list(theta = start$theta, fixef = beta),
             control = glmerControl(optimizer = "nloptwrap", optCtrl = tight,
                                    tolPwrss = 1e-10, nAGQ0initStep = FALSE))
} else {
  m <- lmer(f, data = d, REML = TRUE, start = list(theta = start$theta),
            control = lmerControl(optimizer = "nloptwrap", optCtrl = tight))
}
pt <- proc.time() - t0
vc <- as.data.frame(VarCorr(m))
out <- list(seconds = pt[["elapsed"]], cpu = pt[["user.self"]] + pt[["sys.self"]],
            objective = if (glmm) unname(m@devcomp$cmp[["dev"]]) else unname(REMLcrit(m)),
            fixef = as.list(fixef(m)), vcov = vc$vcov, nfev = m@optinfo$feval,
            messages = paste(m@optinfo$conv$lme4$messages, collapse = "; "))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), args[6])
"""


# ---------------------------------------------------------------------------
# Children
def child_engine(data: str, formula: str, factors: list[str], out: str, family: str) -> None:
    import pandas as pd

    from werkplaats.stats.multilevel import GlmmResult, LmmResult, fit_glmm, fit_lmm

    d = pd.read_csv(data)
    for v in factors:
        d[v] = d[v].astype(str).astype("category")
    t0, c0 = time.perf_counter(), time.process_time()
    m: GlmmResult | LmmResult
    if family == "binomial":
        m = fit_glmm(formula, d, family="binomial")
        npar = len(m.fixef) + len(m.theta)
    else:
        m = fit_lmm(formula, d)
        npar = len(m.fixef) + len(m.theta) + 1
    el = time.perf_counter() - t0
    res = {
        "seconds": el,
        "cpu": time.process_time() - c0,
        "objective": m.objective,
        "fixef": m.fixef.to_dict(),
        "vcov": m.varcorr["vcov"].tolist(),
        "nfev": m.optimizer["nfev"],
        "messages": "; ".join(m.messages),
        "theta": [float(t) for t in m.theta],
        "nobs": m.nobs,
        "levels": m.ngroups,
        "npar": npar,
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


def rel_diff(res: dict | None, ref: dict | None, fixed_only: bool = False) -> float | None:
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


def _levels_text(levels: dict | None) -> str:
    if not levels:
        return ""
    return "; ".join(f"{k} {v:,}" for k, v in levels.items())


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes", type=int, nargs="*", default=[20000], help="rows of the linear growth design"
    )
    ap.add_argument(
        "--glmm-sizes", type=int, nargs="*", default=[], help="rows of the binary growth design"
    )
    ap.add_argument("--insteval", action="store_true", help="add lme4's InstEval (needs Rscript)")
    ap.add_argument(
        "--verbagg", action="store_true", help="add lme4's VerbAgg GLMM (needs Rscript)"
    )
    ap.add_argument(
        "--crossed", action="store_true", help="add 1M ratings of 6,000 users by 4,000 items"
    )
    ap.add_argument("--repeats", type=int, default=3, help="runs of each fit; the median is shown")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument(
        "--timeout", type=float, default=1800.0, help="limit per engine/lme4 fit in seconds"
    )
    ap.add_argument(
        "--sm-timeout", type=float, default=600.0, help="limit per statsmodels fit in seconds"
    )
    ap.add_argument(
        "--refine",
        action="store_true",
        help="also fit with lme4 started at the engine's estimates, with tight tolerances",
    )
    ap.add_argument("--no-lme4", action="store_true")
    ap.add_argument("--no-statsmodels", action="store_true")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        kind, *rest = args.child
        if kind == "engine":
            data, formula, factors, family, out = rest
            child_engine(data, formula, [f for f in factors.split(",") if f], out, family)
        else:
            data, which, out = rest
            child_statsmodels(data, which, out)
        return

    here = Path(__file__).resolve()
    src = here.parent.parent / "src"
    os.environ["PYTHONPATH"] = os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])
    sys.path.insert(0, str(src))
    import numpy as np
    import pandas as pd

    from werkplaats.stats.multilevel.simulate import simulate_binary_growth, simulate_growth

    rscript = None if args.no_lme4 else shutil.which("Rscript")
    try:
        import statsmodels  # noqa: F401

        have_sm = not args.no_statsmodels
    except ImportError:
        have_sm = False

    tmp = Path(tempfile.mkdtemp(prefix="mlbench-"))
    rows: list[tuple[str, ...]] = []
    # (label, csv, formula, factors, family, statsmodels?)
    jobs: list[tuple[str, Path, str, str, str, bool]] = []
    for n in args.sizes:
        path = tmp / f"growth_{n}.csv"
        simulate_growth(n, seed=args.seed).to_csv(path, index=False)
        jobs.append((f"growth {n:,}", path, GROWTH, "growth", "gaussian", True))
    if args.insteval or args.verbagg:
        if rscript is None:
            rows.append(
                (
                    "InstEval/VerbAgg",
                    "",
                    "",
                    "",
                    "all",
                    "skipped: Rscript not found",
                    "",
                    "",
                    "",
                    "",
                )
            )
        else:
            if args.insteval:
                path = tmp / "insteval.csv"
                code = (
                    "suppressPackageStartupMessages(library(lme4)); "
                    f"write.csv(InstEval[, c('y','service','s','d','dept')], '{path.as_posix()}', row.names=FALSE)"
                )
                subprocess.run([rscript, "-e", code], check=True, capture_output=True)
                jobs.append(("InstEval", path, INSTEVAL, "insteval", "gaussian", False))
    if args.crossed:
        rng = np.random.default_rng(args.seed)
        n = 1_000_000
        user, item = rng.integers(0, 6000, n), rng.integers(0, 4000, n)
        x = rng.normal(size=n)
        y = (
            3
            + 0.3 * x
            + rng.normal(0, 0.8, 6000)[user]
            + rng.normal(0, 0.5, 4000)[item]
            + rng.normal(size=n)
        )
        path = tmp / "crossed.csv"
        pd.DataFrame({"y": y.round(5), "x": x.round(5), "user": user, "item": item}).to_csv(
            path, index=False
        )
        jobs.append(("crossed 1M", path, CROSSED, "crossed", "gaussian", False))
    for n in args.glmm_sizes:
        path = tmp / f"bgrowth_{n}.csv"
        simulate_binary_growth(n, seed=args.seed).to_csv(path, index=False)
        jobs.append((f"binary growth {n:,}", path, BGROWTH, "growth", "binomial", False))
    if args.verbagg and rscript is not None:
        path = tmp / "verbagg.csv"
        code = (
            "suppressPackageStartupMessages(library(lme4)); "
            f"write.csv(VerbAgg[, c('r2','Anger','Gender','btype','situ','id','item')], '{path.as_posix()}', "
            "row.names=FALSE)"
        )
        subprocess.run([rscript, "-e", code], check=True, capture_output=True)
        jobs.append(("VerbAgg", path, VERBAGG, "verbagg", "binomial", False))

    rfile = tmp / "r_fit.R"
    rfile.write_text(R_FIT)
    sm_timed_out = False
    for label, path, formula, which, family, sm_ok in jobs:
        factors = ",".join(FACTORS[which])
        eng: list[dict] = []
        lme: list[dict] = []
        emem = lmem = 0.0
        est = lst = "ok"
        loads: list[float] = []
        for rep in range(args.repeats):
            loads.append(os.getloadavg()[0])
            print(
                f"[{time.strftime('%H:%M:%S')}] {label}: werkplaats run {rep + 1}",
                file=sys.stderr,
                flush=True,
            )
            res, mem, st = run_child(
                [
                    sys.executable,
                    str(here),
                    "--child",
                    "engine",
                    str(path),
                    formula,
                    factors,
                    family,
                    str(tmp / "e.json"),
                ],
                args.timeout,
            )
            emem = max(emem, mem)
            if res is None:
                est = st
                break
            eng.append(res)
            if rscript is not None:
                loads.append(os.getloadavg()[0])
                print(
                    f"[{time.strftime('%H:%M:%S')}] {label}: lme4 run {rep + 1}",
                    file=sys.stderr,
                    flush=True,
                )
                lres, mem, st = run_child(
                    [rscript, str(rfile), str(path), formula, factors, family, str(tmp / "r.json")],
                    args.timeout,
                )
                lmem = max(lmem, mem)
                if lres is None:
                    lst = st
                else:
                    lme.append(lres)
            for f in ("e.json", "r.json"):
                (tmp / f).unlink(missing_ok=True)
        ref = lme[0] if lme else None
        first = eng[0] if eng else None
        size = (
            (f"{first['nobs']:,}", _levels_text(first["levels"]), str(first["npar"]))
            if first
            else ("", "", "")
        )
        e_med = statistics.median(r["seconds"] for r in eng) if eng else None
        l_med = statistics.median(r["seconds"] for r in lme) if lme else None
        e_cpu = _cpu(eng)
        l_cpu = _cpu(lme)
        rows.append(
            (
                label,
                *size,
                "werkplaats",
                _time(eng, e_med, est),
                f"{e_cpu:.1f} s" if e_cpu is not None else "",
                f"{emem / 1024:.2f} GiB",
                f"{first['objective']:.4f}" if first else "",
                _diff(rel_diff(first, ref)),
                f"{l_med / e_med:.1f}x" if (e_med and l_med) else "",
                f"{l_cpu / e_cpu:.1f}x" if (e_cpu and l_cpu) else "",
                f"{min(loads):.1f}-{max(loads):.1f}" if loads else "",
            )
        )
        lname = "glmer" if family == "binomial" else "lmer"
        rows.append(
            (
                label,
                *size,
                lname,
                _time(lme, l_med, lst if rscript else "skipped: no Rscript"),
                f"{l_cpu:.1f} s" if l_cpu is not None else "",
                f"{lmem / 1024:.2f} GiB" if lme else "",
                f"{ref['objective']:.4f}" if ref else "",
                "reference" if ref else "",
                "",
                "",
                "",
            )
        )
        refine_r = shutil.which("Rscript") if args.refine else None
        if refine_r is not None and first is not None:
            print(
                f"[{time.strftime('%H:%M:%S')}] {label}: {lname} from the engine's estimates",
                file=sys.stderr,
                flush=True,
            )
            start = tmp / "start.json"
            start.write_text(json.dumps({"theta": first["theta"], "fixef": first["fixef"]}))
            refine_file = tmp / "r_refine.R"
            refine_file.write_text(R_REFINE)
            tres, tmem, tst = run_child(
                [
                    refine_r,
                    str(refine_file),
                    str(path),
                    formula,
                    factors,
                    family,
                    str(start),
                    str(tmp / "t.json"),
                ],
                args.timeout,
            )
            (tmp / "t.json").unlink(missing_ok=True)
            rows.append(
                (
                    label,
                    *size,
                    f"{lname}, tight, from the engine's estimates",
                    _time([tres] if tres else [], tres["seconds"] if tres else None, tst),
                    f"{tres['cpu']:.1f} s" if tres else "",
                    f"{tmem / 1024:.2f} GiB" if tres else "",
                    f"{tres['objective']:.4f}" if tres else "",
                    f"engine vs this: {_diff(rel_diff(first, tres))}" if tres else "",
                    "",
                    "",
                    "",
                )
            )
        if sm_ok and have_sm and not sm_timed_out:
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
                (
                    label,
                    *size,
                    "statsmodels*",
                    _time([sres] if sres else [], sres["seconds"] if sres else None, sst),
                    "",
                    f"{smem / 1024:.2f} GiB",
                    f"{sres['objective']:.4f}" if sres else "",
                    _diff(rel_diff(sres, ref, fixed_only=True)),
                    "",
                    "",
                )
            )
            (tmp / "s.json").unlink(missing_ok=True)

    header = (
        "data",
        "rows",
        "levels",
        "params",
        "engine",
        "wall time (median)",
        "CPU time (median)",
        "peak memory",
        "objective",
        "max rel. diff",
        "lme4 / engine (wall)",
        "lme4 / engine (CPU)",
        "load (1 min)",
    )
    rows = [tuple(r) + ("",) * (len(header) - len(r)) for r in rows]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    print(
        f"\nmedian of {args.repeats} run(s) per engine; objective: REML criterion (lmer) or -2 log-likelihood "
        "(glmer, Laplace); CPU time: user + system time of the fit; max rel. diff: fixed effects and variance components against lme4's first run "
        "(with --refine, a further row: lme4 started at the engine's estimates with tight tolerances, and the engine's difference from it); "
        "load: the 1-minute load average before each run of the design (lowest-highest), on "
        f"{os.cpu_count()} cores. Finished {time.strftime('%Y-%m-%d %H:%M:%S %Z')}."
    )
    shutil.rmtree(tmp, ignore_errors=True)


def _time(runs: list[dict], med: float | None, status: str) -> str:
    if not runs or med is None:
        return status
    ev = runs[0].get("nfev")
    return f"{med:.1f} s" + (f" ({ev} evals)" if ev else "")


def _cpu(runs: list[dict]) -> float | None:
    """Median CPU time (user + system) of the fit itself: on a shared machine the work done,
    which competing processes do not stretch as they stretch the wall time."""
    vals = [r["cpu"] for r in runs if r.get("cpu") is not None]
    return statistics.median(vals) if vals else None


def _diff(d: float | None) -> str:
    return f"{d:.1e}" if d is not None else ""


if __name__ == "__main__":
    main()
