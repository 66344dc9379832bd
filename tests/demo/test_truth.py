"""The planted truth: deterministic, realistic in size, and recoverable by a simple fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from werkplaats.demo.recovery import latent_design, ols_cluster
from werkplaats.demo.truth import (
    EFFECTS,
    NETWORK_EFFECTS,
    WAVE_DAYS,
    draw_world,
    sizes,
    truth_frame,
)


def test_same_seed_gives_the_same_truth():
    a, b = truth_frame(500, 7), truth_frame(500, 7)
    pd.testing.assert_frame_equal(a, b)


def test_another_seed_gives_another_truth():
    a, b = truth_frame(500, 7), truth_frame(500, 8)
    assert not a["pseudonym"].equals(b["pseudonym"])
    assert not np.allclose(a["empowerment"].iloc[:50], b["empowerment"].iloc[:50])


def test_too_few_clients_is_refused():
    with pytest.raises(ValueError, match="at least"):
        draw_world(5, 1)


def test_default_size_has_realistic_teams_and_caseloads():
    w = draw_world(1500, 1)
    n_prof, n_teams, n_orgs = sizes(1500)
    team_sizes = np.bincount(w.prof_team, minlength=n_teams)
    assert team_sizes.min() >= 6 and team_sizes.max() <= 10
    open_now = np.bincount(w.prof[w.status != "closed"], minlength=n_prof)
    assert 25 <= open_now.mean() <= 40
    assert 40 <= np.bincount(w.prof).mean() <= 90  # clients over two years
    assert len(set(w.practice_policy.tolist())) >= 3  # the context effect has range


def test_large_sizes_keep_team_sizes():
    n_prof, n_teams, _ = sizes(200_000)
    assert 6 <= n_prof / n_teams <= 10


def test_waves_are_about_three_months_apart():
    f = truth_frame(300, 2)
    gaps = f.sort_values(["pseudonym", "wave"]).groupby("pseudonym")["date"].diff().dropna()
    days = gaps.dt.days
    assert days.between(WAVE_DAYS - 14, WAVE_DAYS + 14).all()
    assert f.groupby("pseudonym")["wave"].min().eq(0).all()


def test_planted_effects_are_recovered_by_ols_over_ten_seeds():
    """Each fixed effect, planted or null: estimates centre on the truth, and 95%
    cluster-robust intervals (clusters: professionals) cover it in most seeds."""
    estimates, covered = [], []
    for seed in range(1, 11):
        f = truth_frame(20_000, seed)
        cols = latent_design(f)
        beta, se = ols_cluster(f, cols, "empowerment", "professional")
        true = np.array([EFFECTS.get(k, 0.0) for k in cols])
        b = np.array([beta[k] for k in cols])
        s = np.array([se[k] for k in cols])
        estimates.append(b)
        covered.append(np.abs(b - true) <= 1.96 * s)
    estimates_ = np.array(estimates)
    coverage = np.array(covered).mean(axis=0)
    true = np.array([EFFECTS.get(k, 0.0) for k in cols])
    spread = estimates_.std(axis=0, ddof=1) / np.sqrt(len(estimates_))
    for name, mean, t, sd, cov in zip(
        cols, estimates_.mean(axis=0), true, spread, coverage, strict=True
    ):
        assert abs(mean - t) <= 3.5 * sd + 1e-9, f"{name}: mean {mean:.3f} vs true {t}"
        assert cov >= 0.7, f"{name}: covered in only {cov:.0%} of seeds"


def test_planted_effects_are_distinguishable_from_zero_at_a_modest_size():
    f = truth_frame(20_000, 1)
    beta, se = ols_cluster(f, latent_design(f), "empowerment", "professional")
    for name in ["time:sb", "time:sb:net0", "time:out:frail", "time:policy", "time:frail"]:
        assert abs(beta[name]) / se[name] > 2.5, name
    for name in ["time:video", "time:net0"]:
        assert abs(beta[name]) / se[name] < 2.5, name


def test_network_growth_is_planted_on_the_informal_network():
    f = truth_frame(20_000, 3)
    cols = {
        "intercept": np.ones(len(f)),
        "net0": f.net0,
        "time": f.time,
        "time:sb": f.time * f.sb_c,
    }
    beta, se = ols_cluster(f, cols, "informal_network", "professional")
    assert abs(beta["time"] - NETWORK_EFFECTS["growth"]) <= 1.96 * se["time"] + 0.02
    assert abs(beta["time:sb"] - NETWORK_EFFECTS["growth:sb"]) <= 1.96 * se["time:sb"] + 0.05


def test_random_effect_spreads_are_as_stated():
    from werkplaats.demo.truth import SDS

    w = draw_world(20_000, 4)
    assert np.std(w.u0) == pytest.approx(SDS["client_intercept"], rel=0.05)
    assert np.std(w.u1) == pytest.approx(SDS["client_slope"], rel=0.05)
    assert np.std(w.prof_v1) == pytest.approx(SDS["professional_slope"], rel=0.2)
