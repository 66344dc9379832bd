"""Reliability and weighted agreement against R (psych 2.2.9, irr 0.84.1).

tests/stats/reference/reliability.R simulated the items (reliability_items.csv) and
computed the reference values (reliability.csv).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from werkplaats.stats.agreement import cohens_kappa, krippendorff_alpha, weighted_kappa
from werkplaats.stats.reliability import cronbach_alpha, mcdonald_omega

REF = Path(__file__).parent / "reference"
ITEMS = pd.read_csv(REF / "reliability_items.csv").to_numpy(dtype=float)
R = {(r.case, r.stat): r.value for r in pd.read_csv(REF / "reliability.csv").itertuples()}
LABELS = ["never", "rarely", "sometimes", "often", "always"]


@pytest.mark.parametrize(("case", "rows", "cols"), [("scale", 180, 6), ("small", 20, 3)])
def test_alpha_and_feldt_interval_match_psych(case: str, rows: int, cols: int) -> None:
    a = cronbach_alpha(ITEMS[:rows, :cols])
    assert (a.n, a.k) == (rows, cols)
    assert a.estimate == pytest.approx(R[case, "alpha"], rel=1e-10)
    assert a.low == pytest.approx(R[case, "alpha_low"], rel=1e-8)
    assert a.high == pytest.approx(R[case, "alpha_high"], rel=1e-8)


@pytest.mark.parametrize(("case", "rows", "cols"), [("scale", 180, 6), ("small", 20, 3)])
def test_omega_total_matches_psych(case: str, rows: int, cols: int) -> None:
    o = mcdonald_omega(ITEMS[:rows, :cols], n_boot=200)
    # psych's minres optimiser stops at its own tolerance: agreement to 1e-5.
    assert o.estimate == pytest.approx(R[case, "omega_total"], abs=1e-5)
    assert o.low < o.estimate < o.high


def test_omega_interval_is_reproducible_and_narrows_with_n() -> None:
    wide = mcdonald_omega(ITEMS[:40], n_boot=300)
    assert mcdonald_omega(ITEMS[:40], n_boot=300) == wide
    narrow = mcdonald_omega(ITEMS, n_boot=300)
    assert narrow.high - narrow.low < wide.high - wide.low


def test_reliability_refuses_what_it_cannot_compute() -> None:
    with pytest.raises(ValueError, match="at least 2 items"):
        cronbach_alpha(ITEMS[:, :1])
    constant = ITEMS[:30, :3].copy()
    constant[:, 1] = 3
    with pytest.raises(ValueError, match="item 2"):
        cronbach_alpha(constant)
    with_missing: list[list[float | None]] = [[1, None, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4]]
    assert cronbach_alpha(with_missing).n == 3


def test_weighted_kappa_matches_irr() -> None:
    a, b = ITEMS[:, 0].astype(int).tolist(), ITEMS[:, 1].astype(int).tolist()
    assert cohens_kappa(a, b) == pytest.approx(R["kappa", "unweighted"], rel=1e-10)
    assert weighted_kappa(a, b, "linear") == pytest.approx(R["kappa", "linear"], rel=1e-10)
    assert weighted_kappa(a, b, "quadratic") == pytest.approx(R["kappa", "quadratic"], rel=1e-10)


def test_weighted_kappa_on_labels_uses_the_scales_order() -> None:
    a = [LABELS[int(v) - 1] for v in ITEMS[:, 0]]
    b = [LABELS[int(v) - 1] for v in ITEMS[:, 1]]
    for weights in ("linear", "quadratic"):
        in_order = weighted_kappa(a, b, weights, order=LABELS)
        assert in_order == pytest.approx(R["kappa", weights], rel=1e-10)
        # irr ranks text labels alphabetically: a different (wrong) value.
        alphabetical = weighted_kappa(a, b, weights, order=sorted(LABELS))
        assert alphabetical == pytest.approx(R["kappa_alphabetical", weights], rel=1e-10)
        assert abs(in_order - alphabetical) > 0.1
    with pytest.raises(ValueError, match="order"):
        weighted_kappa(a, b, "linear")
    with pytest.raises(ValueError, match="'never'"):
        weighted_kappa(a, b, "linear", order=LABELS[1:])


def _kripp_data() -> list[list[int | None]]:
    m: list[list[int | None]] = [[int(v) for v in ITEMS[:40, j]] for j in range(3)]
    m[0][2] = m[0][8] = None
    m[2][16] = None
    return m


def test_ordinal_alpha_on_labels_uses_the_given_order() -> None:
    numbers = _kripp_data()
    labels = [[None if v is None else LABELS[v - 1] for v in row] for row in numbers]
    assert krippendorff_alpha(numbers, "ordinal") == pytest.approx(R["kripp", "ordinal"], rel=1e-10)
    assert krippendorff_alpha(labels, "ordinal", order=LABELS) == pytest.approx(
        R["kripp", "ordinal"], rel=1e-10
    )
    # Ranked alphabetically the same labels give irr's alphabetical value, far from it.
    alphabetical = krippendorff_alpha(labels, "ordinal", order=sorted(LABELS))
    assert alphabetical == pytest.approx(R["kripp_alphabetical", "ordinal"], rel=1e-10)
    assert abs(alphabetical - R["kripp", "ordinal"]) > 0.3
    with pytest.raises(ValueError, match="order"):
        krippendorff_alpha(labels, "ordinal")
    assert krippendorff_alpha(labels, "nominal") == pytest.approx(R["kripp", "nominal"], rel=1e-10)


def test_feldt_interval_covers_population_alpha() -> None:
    """Parallel items (equal loadings, normal): the Feldt interval is exact there.

    Seeded, 1,000 replications of 30 respondents and 4 items; binomial SE 0.007.
    """
    rng = np.random.default_rng(7)
    lam, k, n, reps = 0.6, 4, 30, 1000
    rho = lam**2
    population = k * rho / (1 + (k - 1) * rho)
    hits = 0
    for _ in range(reps):
        f = rng.normal(size=(n, 1))
        x = lam * f + np.sqrt(1 - rho) * rng.normal(size=(n, k))
        a = cronbach_alpha(x)
        hits += a.low <= population <= a.high
    assert abs(hits / reps - 0.95) < 3.5 * (0.95 * 0.05 / reps) ** 0.5


def test_scale_reliability_scores_items_as_the_scale_does() -> None:
    """Item 3 is reverse-keyed and answered reversed: after scoring, psych's alpha again."""
    from werkplaats.stats.definition import parse_definition
    from werkplaats.stats.scoring import scale_reliability

    ids = [f"item{j}" for j in range(1, 7)]
    d = parse_definition(
        {
            "format": "werkplaats.instrument/1",
            "id": "demo",
            "version": "1",
            "construct": "demo",
            "kind": "questionnaire",
            "title": {"en": "Demo"},
            "licence": {
                "code": "public-domain",
                "statement": "Public domain.",
                "item_text_included": True,
            },
            "citation": "None.",
            "option_sets": {"five": [{"value": v, "label": {"en": str(v)}} for v in range(1, 6)]},
            "items": [
                {"id": i, "options": "five", "text": {"en": i}, "reverse": i == "item3"}
                for i in ids
            ],
            "scales": [
                {"id": "total", "label": {"en": "Total"}, "method": "sum"},
                {"id": "one", "label": {"en": "One"}, "method": "sum", "items": ["item1"]},
            ],
        }
    )
    answers = []
    for row in ITEMS.astype(int):
        a = dict(zip(ids, row.tolist(), strict=True))
        a["item3"] = 6 - a["item3"]
        answers.append(a)
    answers.append({"item1": 3})  # incomplete: not counted
    result = scale_reliability(d, answers, n_boot=100)
    total = result["total"]
    assert total.n == 180 and total.alpha is not None and total.omega is not None
    assert total.alpha.estimate == pytest.approx(R["scale", "alpha"], rel=1e-10)
    assert total.omega.estimate == pytest.approx(R["scale", "omega_total"], abs=1e-5)
    assert result["one"].alpha is None and "two or more items" in result["one"].reason
