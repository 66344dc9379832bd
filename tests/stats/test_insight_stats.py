"""The insight pieces of the statistics core against independent references.

R scripts beside the reference CSVs produced them (base R and lme4, from the formulas in
the cited papers): tests/stats/reference/effects_raters.R and mediation.R.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from werkplaats.stats.change import clinical_change, clinical_cutoff
from werkplaats.stats.effects import group_effect, paired_effect
from werkplaats.stats.growth import GrowthSpec, TooFewError, fit_growth
from werkplaats.stats.mediation import mediation
from werkplaats.stats.raters import bland_altman, discrepancy_by_group, icc
from werkplaats.stats.sdc import attack, protect_table, with_margins
from werkplaats.stats.voices import representation

REF = Path(__file__).parent / "reference"


def _ref(name: str) -> dict[tuple[str, str], float]:
    frame = pd.read_csv(REF / name)
    return {(r.case, r.stat): r.value for r in frame.itertuples()}


R = _ref("effects_raters.csv")


def test_paired_effect_matches_r() -> None:
    d = paired_effect([10, 12, 9, 14, 11, 13, 10, 12], [12, 15, 9, 17, 13, 15, 12, 14])
    assert_allclose(
        [d.estimate, d.low, d.high],
        [R["paired", "d"], R["paired", "low"], R["paired", "high"]],
        rtol=1e-6,
    )


def test_group_effect_matches_r() -> None:
    g = group_effect([5, 6, 7, 8, 9, 10], [3, 4, 5, 6, 7, 5, 4])
    assert_allclose(
        [g.estimate, g.low, g.high],
        [R["groups", "g"], R["groups", "low"], R["groups", "high"]],
        rtol=1e-6,
    )


def test_group_effect_interval_covers_delta_at_small_n() -> None:
    """4 + 4 observations, delta = 2: the 95% interval must cover delta 95% of the time.

    Seeded simulation, 3,000 replications: the binomial SE of the coverage is 0.004, the
    tolerance 3.5 SE (0.014). The former interval (the one for d multiplied by J) covered
    0.926 here and fails this test.
    """
    rng = np.random.default_rng(20261207)
    reps, delta = 3000, 2.0
    hits = 0
    for _ in range(reps):
        g = group_effect(rng.normal(delta, 1.0, 4), rng.normal(0.0, 1.0, 4))
        hits += g.low <= delta <= g.high
    coverage = hits / reps
    se = (0.95 * 0.05 / reps) ** 0.5
    assert abs(coverage - 0.95) < 3.5 * se, coverage


def test_group_effect_interval_far_in_the_tail() -> None:
    # A huge t used to make scipy's noncentral t cdf return NaN inside the bracket.
    g = group_effect([10.0, 10.1, 10.2, 10.05], [0.0, 0.1, 0.2, 0.05])
    assert 0 < g.low < g.estimate < g.high < float("inf")


def test_effect_needs_three_pairs() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        paired_effect([1, 2], [2, 3])


def test_clinical_cutoff_criteria() -> None:
    assert clinical_cutoff(
        clinical_mean=20, clinical_sd=4, functional_mean=26, functional_sd=2
    ) == (24.0, "c")
    assert clinical_change(25, 18, sd=3.6, reliability=0.75, cutoff=24).category == "deteriorated"


def test_icc_matches_shrout_fleiss_and_lme4() -> None:
    sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    r = icc(sf)
    key = "shrout_fleiss"
    assert_allclose(
        [r.icc1, r.icc2, r.icc3, r.icc3_low, r.icc3_high],
        [R[key, "icc1"], R[key, "icc2"], R[key, "icc3"], R[key, "icc3_low"], R[key, "icc3_high"]],
        rtol=1e-6,
    )
    assert_allclose(r.icc1, R[key, "icc1_lmer"], rtol=1e-5)


def test_bland_altman_matches_r() -> None:
    a = [494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427]
    b = [512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451]
    ba = bland_altman(a, b)
    key = "bland_altman"
    assert_allclose(
        [ba.bias, ba.sd, ba.lower, ba.upper, ba.lower_low, ba.upper_high],
        [R[key, s] for s in ("bias", "sd", "lower", "upper", "lower_low", "upper_high")],
        rtol=1e-6,
    )


def test_systematic_discrepancy_shows_in_one_group() -> None:
    rng = np.random.default_rng(3)
    n = 400
    group = np.where(rng.random(n) < 0.5, "frail", "other")
    client = rng.normal(20, 3, n)
    professional = client + rng.normal(0, 1, n) - np.where(group == "frail", 2.0, 0.0)
    f = pd.DataFrame({"group": group, "client": client, "professional": professional})
    d = discrepancy_by_group(f, "client", "professional", "group").set_index("group")
    assert d.loc["frail", "low"] > 1.5
    assert d.loc["other", "low"] < 0 < d.loc["other", "high"]


def test_mediation_paths_match_r() -> None:
    data = pd.read_csv(REF / "mediation_data.csv")
    ref = pd.read_csv(REF / "mediation.csv").set_index("stat")["value"]
    r = mediation(data, "x", "m", "y", ["z"], n_boot=200)
    got = [r.a, r.a_se, r.b, r.b_se, r.direct, r.direct_se, r.indirect, r.sobel_se]
    assert_allclose(
        got,
        ref.loc[
            ["a", "a_se", "b", "b_se", "direct", "direct_se", "indirect", "sobel_se"]
        ].to_numpy(),
        rtol=1e-8,
    )


def test_bootstrap_interval_agrees_with_sobel_on_a_large_sample() -> None:
    rng = np.random.default_rng(11)
    n = 4000
    x = rng.normal(size=n)
    m = 0.4 * x + rng.normal(size=n)
    y = 0.3 * m + 0.1 * x + rng.normal(size=n)
    r = mediation(pd.DataFrame({"x": x, "m": m, "y": y}), "x", "m", "y", n_boot=500, seed=2)
    assert_allclose([r.boot_low, r.boot_high], [r.sobel_low, r.sobel_high], atol=0.012)
    assert r.boot_low < 0.12 < r.boot_high


def test_cluster_bootstrap_is_wider_when_clusters_matter() -> None:
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(40), 50)
    xg = rng.normal(size=40)[g]
    m = 0.5 * xg + rng.normal(size=40)[g] + rng.normal(size=g.size)
    y = 0.5 * m + rng.normal(size=40)[g] + rng.normal(size=g.size)
    f = pd.DataFrame({"x": xg, "m": m, "y": y, "g": g})
    plain = mediation(f, "x", "m", "y", n_boot=300)
    clustered = mediation(f, "x", "m", "y", cluster="g", n_boot=300)
    assert clustered.boot_high - clustered.boot_low > 1.5 * (plain.boot_high - plain.boot_low)


def test_mediation_refuses_thin_data() -> None:
    with pytest.raises(ValueError, match="at least 20"):
        mediation(pd.DataFrame({"x": [0, 1] * 5, "m": range(10), "y": range(10)}), "x", "m", "y")


# --------------------------------------------------------------- disclosure control
def _random_tables(seed: int, count: int) -> list[pd.DataFrame]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        rows, cols = rng.integers(2, 7), rng.integers(2, 5)
        values = rng.negative_binomial(2, 0.08, size=(rows, cols))
        values[rng.random((rows, cols)) < 0.3] = rng.integers(0, 10)
        out.append(
            pd.DataFrame(
                values, index=[f"r{i}" for i in range(rows)], columns=[f"c{j}" for j in range(cols)]
            )
        )
    return out


@pytest.mark.parametrize("table", _random_tables(1, 25))
def test_the_attack_cannot_recover_a_suppressed_cell(table: pd.DataFrame) -> None:
    """Every small cell is hidden; an attacker who knows every other cell exactly and
    solves the linear programmes for each hidden one is left with an interval of at
    least 5 (so never the value itself)."""
    p = protect_table(table)
    full = with_margins(table).to_numpy(float)
    hidden = p.suppressed.to_numpy()
    assert hidden[full < 10].all(), "a cell under 10 was published"
    for (i, j), (lo, hi) in attack(full, hidden).items():
        assert lo - 1e-6 <= full[i, j] <= hi + 1e-6
        assert hi - lo >= 5 - 1e-6, f"cell {(i, j)} narrowed to [{lo}, {hi}]"
        # and the attacker can never conclude the cell is small: its range reaches 10
        assert hi >= 10 - 1e-6, f"cell {(i, j)} bounded to [{lo}, {hi}], below the threshold"


def test_a_block_of_small_cells_is_not_bounded_below_the_threshold() -> None:
    """Four small cells in a 2x2 block: the margins alone bound each to [0, 5] unless more
    is hidden; every suppressed cell's feasible range must reach the threshold."""
    t = pd.DataFrame({"a": [3, 2, 60], "b": [2, 3, 45], "c": [50, 40, 30]})
    p = protect_table(t)
    full = with_margins(t).to_numpy(float)
    ranges = attack(full, p.suppressed.to_numpy())
    assert len(ranges) > 4
    for cell, (_lo, hi) in ranges.items():
        assert hi >= 10 - 1e-6, f"cell {cell} bounded to at most {hi}"


def _client_values(seed: int) -> pd.DataFrame:
    """Per-client changes (between -21 and 21) in a rows x columns table, some cells thin."""
    rng = np.random.default_rng(seed)
    rows, cols = int(rng.integers(2, 5)), int(rng.integers(2, 4))
    records = []
    for i in range(rows):
        for j in range(cols):
            n = int(rng.choice([0, 1, 2, 4, 8, 12, 15, 25, 40]))
            for value in rng.integers(-21, 22, size=n):
                records.append((f"r{i}", f"c{j}", float(value)))
    return pd.DataFrame(records, columns=["row", "col", "change"])


@pytest.mark.parametrize("seed", range(20))
def test_the_attack_cannot_recover_a_suppressed_mean(seed: int) -> None:
    """Means shown only where 10 or more clients contribute; an attacker who knows every
    cell's exact count and every published mean, and so every published sum, solves the
    linear programmes for each hidden sum (each client's change lies in [-21, 21]): no
    hidden mean with contributors can be pinned to within one point."""
    from werkplaats.stats.sdc import protect_means

    values = _client_values(seed)
    if values.empty:
        return
    counts = pd.crosstab(values["row"], values["col"])
    table = protect_table(counts)
    means, sizes, sums = (
        values.pivot_table(
            index="row",
            columns="col",
            values="change",
            aggfunc=how,
            margins=True,
            margins_name="total",
        )
        for how in ("mean", "count", "sum")
    )
    shown = protect_means(means, table, sizes, value_range=(-21, 21))
    index, columns = table.published.index, table.published.columns
    n = sizes.reindex(index=index, columns=columns).fillna(0).to_numpy(float)
    total = sums.reindex(index=index, columns=columns).fillna(0).to_numpy(float)
    hidden = shown.isna().to_numpy() | (shown.to_numpy() == None)  # noqa: E711
    assert not (~hidden & (n < 10)).any(), "a mean of fewer than 10 clients was shown"
    # A cell nobody contributes to has a known sum of 0: the attacker knows it.
    unknown = hidden & (n > 0)
    bounds = {(int(i), int(j)): (-21 * n[i, j], 21 * n[i, j]) for i, j in np.argwhere(unknown)}
    for (i, j), (lo, hi) in attack(total, unknown, bounds).items():
        assert lo - 1e-6 <= total[i, j] <= hi + 1e-6
        assert (hi - lo) / n[i, j] >= 1.0, f"mean {(i, j)} pinned to [{lo}, {hi}] / {n[i, j]}"


def test_differences_of_margins_do_not_give_a_cell_away() -> None:
    t = pd.DataFrame({"a": [50, 4, 30], "b": [20, 40, 25], "c": [33, 21, 60]})
    p = protect_table(t)
    # the row with the small cell has a second hidden cell, so row total minus the rest fails
    assert p.suppressed.iloc[1, :3].sum() >= 2
    # and the column too
    assert p.suppressed.iloc[:3, 0].sum() >= 2


def test_published_counts_are_rounded_to_five() -> None:
    t = pd.DataFrame({"a": [52, 41], "b": [23, 37]})
    p = protect_table(t)
    values = [v for v in p.published.to_numpy().ravel() if v is not None]
    assert values and all(v % 5 == 0 for v in values)
    assert p.published.loc[0, "a"] == 50


def test_voices_warns_about_under_represented_groups() -> None:
    f = pd.DataFrame(
        {
            "lang": ["nl"] * 80 + ["ar"] * 20,
            "respondent": [True] * 70 + [False] * 10 + [True] * 5 + [False] * 15,
            "story": [True] * 10 + [False] * 90,
            "due": 4,
            "done": [4] * 80 + [1] * 20,
        }
    )
    r = representation(f, ["lang"]).set_index("group")
    assert r.loc["ar", "under_respondents"] and r.loc["ar", "under_stories"]
    assert not r.loc["nl", "under_respondents"]
    assert r.loc["ar", "missing_rate"] == pytest.approx(0.75)


def test_growth_model_says_when_data_are_too_thin() -> None:
    f = pd.DataFrame(
        {
            "score": [1.0, 2.0] * 10,
            "time": [0.0, 1.0] * 10,
            "client": np.repeat(np.arange(10), 2),
            "professional": 1,
        }
    )
    with pytest.raises(TooFewError, match="at least 30"):
        fit_growth(f, GrowthSpec())


def test_growth_model_recovers_a_simulated_moderator() -> None:
    rng = np.random.default_rng(7)
    n, waves = 400, 4
    client = np.repeat(np.arange(n), waves)
    prof = client % 20
    time = np.tile(np.arange(waves) * 0.25, n)
    x = rng.normal(size=n)[client]
    y = (
        rng.normal(size=n)[client]
        + (0.3 + 0.2 * x + rng.normal(0, 0.1, n)[client]) * time
        + rng.normal(0, 0.3, client.size)
    )
    f = pd.DataFrame({"score": y, "time": time, "client": client, "professional": prof, "x": x})
    r = fit_growth(f, GrowthSpec(client_level=["x"], random=[]))
    row = r.terms.set_index("term").loc["time:x"]
    assert row["low"] < 0.2 < row["high"] and row["level"] == "client_level"


def test_growth_model_uses_satterthwaite_df_for_a_term_on_few_clusters() -> None:
    """A context variable that differs between 8 professionals: few df, a wide t interval.

    The df themselves agree with lmerTest (tests/stats/multilevel/test_satterthwaite.py);
    here the growth model must use them instead of the Wald z interval and say that the
    term rests on fewer than 20 clusters.
    """
    rng = np.random.default_rng(11)
    n, waves, profs = 240, 4, 8
    client = np.repeat(np.arange(n), waves)
    prof = client % profs
    policy = (np.arange(profs) % 2 - 0.5)[prof]
    time = np.tile(np.arange(waves) * 0.25, n)
    prof_slope = rng.normal(0, 0.3, profs)[prof]
    y = (
        rng.normal(size=n)[client]
        + rng.normal(0, 0.5, profs)[prof]
        + (0.3 + 0.2 * policy + prof_slope + rng.normal(0, 0.1, n)[client]) * time
        + rng.normal(0, 0.3, client.size)
    )
    f = pd.DataFrame(
        {"score": y, "time": time, "client": client, "professional": prof, "policy": policy}
    )
    r = fit_growth(f, GrowthSpec(context=["policy"]))
    assert r.interval == "satterthwaite"
    terms = r.terms.set_index("term")
    satt = r.model.satterthwaite()
    row = terms.loc["time:policy"]
    assert row["df"] == pytest.approx(satt.loc["time:policy", "df"], rel=1e-12)
    assert row["df"] < 10
    wald_half = 1.959964 * row["se"]
    assert row["high"] - row["estimate"] > 1.2 * wald_half
    assert row["p"] == pytest.approx(satt.loc["time:policy", "Pr(>|t|)"], rel=1e-12)
    assert bool(row["few_clusters"]) and row["clusters"] == profs
    assert row["grouping"] == "professional"
    assert list(r.few_clusters()["term"]) == ["policy", "time:policy"]
    assert not bool(terms.loc["time", "few_clusters"])


def test_not_on_track_below_the_lower_quarter_of_comparable_clients() -> None:
    from werkplaats.stats.progress import on_track

    ref = pd.DataFrame({"group": "frail", "months": [6.0] * 40, "change": np.arange(40) / 4})
    assert on_track(ref, "frail", 6.5, change=0.5) is False
    assert on_track(ref, "frail", 6.5, change=5.0) is True
    assert on_track(ref, "other", 6.5, change=5.0) is None  # no comparable clients
    assert on_track(ref, "frail", 12, change=5.0) is None  # none at this time
