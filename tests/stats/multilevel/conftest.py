"""Fixtures for the multilevel tests: lme4 reference values and data sets."""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

REF_DIR = Path(__file__).resolve().parent / "reference"

# Columns that are factors in R; pandas would read them as numbers or text.
FACTORS = {
    "sleepstudy": ["Subject"],
    "dyestuff": ["Batch"],
    "dyestuff2": ["Batch"],
    "penicillin": ["plate", "sample"],
    "pastes": ["batch", "cask"],
    "growth": ["client", "professional", "team"],
    "insteval": ["s", "d", "dept", "service"],
}


def read_dataset(path: Path, name: str) -> pd.DataFrame:
    d = pd.read_csv(path)
    for c in FACTORS[name]:
        d[c] = d[c].astype(str).astype("category")
    return d


@pytest.fixture(scope="session")
def reference() -> dict:
    with open(REF_DIR / "reference.json", encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="session")
def datasets() -> dict[str, pd.DataFrame]:
    return {
        name: read_dataset(REF_DIR / f"{name}.csv", name) for name in FACTORS if name != "insteval"
    }


@pytest.fixture(scope="session")
def insteval(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """InstEval (73k rows) exported by R at test time; it is not committed."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip(
            "Rscript not found: InstEval comes from R's lme4 package, install R and lme4 to run this test"
        )
    out = tmp_path_factory.mktemp("insteval") / "insteval.csv"
    code = (
        "suppressPackageStartupMessages(library(lme4)); "
        f"write.csv(InstEval[, c('y', 'service', 's', 'd', 'dept')], '{out.as_posix()}', row.names = FALSE)"
    )
    res = subprocess.run([rscript, "-e", code], capture_output=True, text=True, timeout=300)
    if res.returncode != 0 or not out.exists():
        pytest.skip(f"R could not export InstEval (is lme4 installed?): {res.stderr.strip()[:300]}")
    return read_dataset(out, "insteval")


@pytest.fixture
def fits_with_and_without_gradient(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[str, pd.DataFrame, bool], tuple[Any, Any]]:
    """``fit(formula, data, reml)``: the same model fitted on the exact gradient and with
    it switched off (COBYQA on the criterion alone), warnings silenced."""
    from werkplaats.stats.multilevel import fit_lmm
    from werkplaats.stats.multilevel.engine import Engine

    def fit(formula: str, data: pd.DataFrame, reml: bool) -> tuple[Any, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. few clusters for a fixed effect
            with_gradient = fit_lmm(formula, data, reml=reml)
            with monkeypatch.context() as patch:
                patch.setattr(Engine, "_setup_gradient", lambda self: None)
                without = fit_lmm(formula, data, reml=reml)
        return with_gradient, without

    return fit
