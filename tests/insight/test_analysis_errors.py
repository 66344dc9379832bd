"""The growth section says plainly why the engine refused; a bug is not turned into a message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from werkplaats.insight import analysis
from werkplaats.stats.growth import GrowthSpec, TooFewError
from werkplaats.stats.multilevel import FormulaError

ROWS = pd.DataFrame({"score": [1.0, 2.0]})
SPEC = GrowthSpec()  # the fit is replaced below; the spec only travels through


def _fit_raising(exc: Exception):  # type: ignore[no-untyped-def]
    def fit(data: pd.DataFrame, spec: object) -> None:
        raise exc

    return fit


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (TooFewError("Only 3 clients were measured twice"), "Only 3 clients were measured twice"),
        (
            FormulaError("unknown column 'x'"),
            "The growth model could not be fitted: unknown column 'x'",
        ),
        (
            np.linalg.LinAlgError("not positive definite"),
            "The growth model could not be fitted: not positive definite",
        ),
    ],
)
def test_the_engines_refusals_become_the_sections_message(
    monkeypatch: pytest.MonkeyPatch, exc: Exception, message: str
) -> None:
    monkeypatch.setattr(analysis, "fit_growth", _fit_raising(exc))
    section = analysis._growth(ROWS, SPEC)
    assert section.result is None and section.text() == message


@pytest.mark.parametrize("exc", [KeyError("score"), TypeError("bad operand"), ZeroDivisionError()])
def test_any_other_error_is_not_hidden_in_the_report(
    monkeypatch: pytest.MonkeyPatch, exc: Exception
) -> None:
    monkeypatch.setattr(analysis, "fit_growth", _fit_raising(exc))
    with pytest.raises(type(exc)):
        analysis._growth(ROWS, SPEC)


def test_no_rows_no_model() -> None:
    assert analysis._growth(ROWS.iloc[:0], SPEC).message == (
        "No scores of the plan's outcome in this study."
    )
