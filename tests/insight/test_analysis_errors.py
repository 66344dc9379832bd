"""The growth section says plainly why the engine refused; a bug is not turned into a message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from werkplaats.insight import analysis, engine_messages
from werkplaats.stats.growth import GrowthSpec, TooFewError
from werkplaats.stats.multilevel import FormulaError

ROWS = pd.DataFrame({"score": [1.0, 2.0]})
SPEC = GrowthSpec()  # the fit is replaced below; the spec only travels through


def _fit_raising(exc: Exception):
    def fit(data: pd.DataFrame, spec: object) -> None:
        raise exc

    return fit


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (TooFewError("Only 3 clients were measured twice"), "Only 3 clients were measured twice"),
        (
            FormulaError("unknown column 'x'"),
            "The growth model could not be fitted: the engine does not accept its formula.",
        ),
        (
            np.linalg.LinAlgError("not positive definite"),
            "The growth model could not be fitted: its equations have no unique solution "
            "(a matrix is not positive definite).",
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


def _growth_data(seed: int = 3) -> pd.DataFrame:
    """60 clients of 6 professionals, 4 waves; ``style`` is constant per professional (so
    it rests on 6 clusters), ``copy`` repeats ``age`` (so the design is rank deficient)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(60):
        prof = c % 6
        age = float(rng.normal(0, 1))
        for t in (0.0, 0.25, 0.5, 0.75):
            y = 10 + 0.5 * age + t * (1 + 0.3 * prof) + rng.normal(0, 1)
            rows.append((y, t, f"c{c}", f"p{prof}", age, age * 2.0, prof / 5))
    return pd.DataFrame(
        rows, columns=["score", "time", "client", "professional", "age", "copy", "style"]
    )


def test_the_models_warnings_reach_the_dutch_report_in_dutch() -> None:
    """Rank deficiency and few clusters, read from the fitted result's fields and shown in
    the reader's language (not the engine's English text)."""
    import warnings

    from django.utils import translation

    from werkplaats.insight.report import localise
    from werkplaats.stats.growth import fit_growth

    spec = GrowthSpec(client_level=["age", "copy"], with_whom=["style"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fit_growth(_growth_data(), spec)
    notes = [
        analysis.Section(message=m, params=p) for m, p in engine_messages.growth_notes(result.model)
    ]
    english = [n.text() for n in notes]
    assert any("rank deficient" in t and "copy" in t for t in english), english
    assert any("style" in t and "6 levels of professional" in t for t in english), english
    results = analysis.Results(
        None,  # type: ignore[arg-type]  # localise reads the sections only
        spec,
        [],
        pd.DataFrame(),
        0,
        0,
        0,
        pd.DataFrame(),
        analysis.Section(message="x"),
        analysis.Section(message="x"),
        analysis.Section(result),
        growth_notes=notes,
    )
    with translation.override("nl"):
        localise(results)
    dutch = [n.message for n in results.growth_notes]
    assert any("rangtekort" in t and "copy" in t for t in dutch), dutch
    assert any("style" in t and "6 niveaus van professional" in t for t in dutch), dutch
    assert not any("rank deficient" in t or "levels of" in t for t in dutch)


def test_an_engine_refusal_is_chosen_by_its_kind_not_its_english_text() -> None:
    from django.utils import translation

    from werkplaats.stats.multilevel.errors import TooFewLevelsError

    section = analysis.Section(
        message=engine_messages.engine_refusal(TooFewLevelsError("whatever"))
    )
    with translation.override("nl"):
        from django.utils.translation import gettext

        text = section.text(gettext)
    assert text.startswith("Het groeimodel kon niet worden geschat"), text
    assert "whatever" not in text
