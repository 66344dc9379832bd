"""The study report on the demo workplace: planted effects recovered, consent honoured.

One demo of 3,000 clients is built once for the module (inside a transaction that is
rolled back at the end); every test runs in its own savepoint.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.db import transaction
from django.utils import timezone
from scipy.stats import norm

from werkplaats.core.pseudonyms import study_pseudonym
from werkplaats.demo.generator import PEARLIN_LATENT_SCALE, build_demo
from werkplaats.demo.truth import EFFECTS, truth_frame
from werkplaats.insight.analysis import DEFAULT_SPEC, model_frame, run_analyses
from werkplaats.insight.dataset import analysis_frame
from werkplaats.insight.report import write_report
from werkplaats.insight.selectors import caseload_frame
from werkplaats.programme.models import Consent, Study
from werkplaats.stats.growth import fit_growth

CLIENTS, SEED = 3000, 1

# planted term (docs/demo-workplace.md) -> the report's model term
TERMS = {
    "net0": "net0_c",
    "frail": "frail",
    "time": "time",
    "time:sb": "time:sb_c",
    "time:sb:net0": "time:net0_c:sb_c",
    "time:net0": "time:net0_c",
    "time:out": "time:out_c",
    "time:out:frail": "time:frail:out_c",
    "time:frail": "time:frail",
    "time:policy": "time:policy_c",
    "time:video": "time:video_c",
}
ZERO = ["sb_c", "out_c", "policy_c", "video_c", "net0_c:sb_c", "frail:out_c"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), transaction.atomic():
        build_demo(CLIENTS, seed=SEED, identities=False)
        yield Study.objects.get(title__startswith="Wat werkt")
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def frame(demo: Study, django_db_blocker) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        return analysis_frame(demo)


def pearlin_slope() -> float:
    """Expected Pearlin sum score per latent unit, over the demo's latent distribution.

    simulate_answers picks each of 7 four-option items at the normal quantiles of
    ``scale * latent + 0.7 * N(0, 1)``; the expected sum is 7 * (1 + sum_k Phi((scale *
    latent - t_k) / 0.7)) with t_k the quartiles of N(0, 1). Its least-squares slope on
    the latent scores puts the planted (latent) effects on the score scale.
    """
    eta = truth_frame(CLIENTS, SEED)["empowerment"].to_numpy()
    t = norm.ppf([0.25, 0.5, 0.75])
    expected = 7 * (1 + sum(norm.cdf((PEARLIN_LATENT_SCALE * eta - tk) / 0.7) for tk in t))
    return float(np.polyfit(eta, expected, 1)[0])


@pytest.mark.django_db
def test_the_report_model_recovers_the_planted_effects(frame: pd.DataFrame) -> None:
    result = fit_growth(model_frame(frame), DEFAULT_SPEC)
    terms = result.terms.set_index("term")
    slope = pearlin_slope()
    for planted, term in TERMS.items():
        truth = EFFECTS[planted] * slope
        row = terms.loc[term]
        assert row["low"] <= truth <= row["high"], (
            f"{term}: truth {truth:.3f} outside [{row['low']:.3f}, {row['high']:.3f}]"
        )
        if EFFECTS[planted] == 0:
            assert row["low"] < 0 < row["high"], f"null effect {term} called significant"
    for term in ZERO:
        row = terms.loc[term]
        assert row["low"] < 0 < row["high"], f"null effect {term} called significant"
    # random effects per level and ICCs are reported
    assert {"client", "professional", "Residual"} <= set(result.icc["grp"])


@pytest.mark.django_db
def test_agreement_finds_the_planted_frail_discrepancy_and_mediation_finds_none(
    frame: pd.DataFrame,
) -> None:
    results = run_analyses(frame, n_boot=100)
    by_group = results.agreement.result.by_group.set_index("target_group")
    assert by_group.loc["frail-elderly", "low"] > 1
    # no bias was planted for the other groups: their differences stay small (a 95%
    # interval may miss 0 by chance in one of three groups, so the size is what is tested)
    others = by_group.drop("frail-elderly")
    assert (others["mean_difference"].abs() < 0.5).all()
    three = results.agreement.result
    assert three.icc_three is not None and three.icc_three.k == 3
    assert three.network.bias_low < 0 < three.network.bias_high  # no planted network bias
    for section in results.mediation:  # the method and the alliance carry no effect
        m = section.result
        assert m.boot_low < 0 < m.boot_high


@pytest.mark.django_db
def test_the_voices_monitor_flags_clients_who_speak_another_language(
    demo: Study, frame: pd.DataFrame
) -> None:
    results = run_analyses(frame, n_boot=10, caseload=caseload_frame(demo))
    v = results.voices.result
    lang = v[v["dimension"] == "language"].set_index("group")
    assert not lang.loc["Nederlands", "under_respondents"]
    assert lang.drop("Nederlands")["response_rate"].mean() < lang.loc["Nederlands", "response_rate"]


@pytest.mark.django_db
def test_withdrawn_consent_removes_the_client_from_later_exports_and_reports(
    demo: Study, tmp_path: Path
) -> None:
    consent = Consent.objects.filter(study=demo, withdrawn_at__isnull=True).order_by("pk")[5]
    key = study_pseudonym(demo.pk, consent.client_id)
    before = write_report(demo, tmp_path / "before", pdf=False, n_boot=10)
    assert key in (before / "export" / "analysis.csv").read_text()

    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = consent.recorded_by
    consent.save()
    after = write_report(demo, tmp_path / "after", pdf=False, n_boot=10)
    for path in after.rglob("*"):
        if path.suffix in (".csv", ".html", ".md", ".json"):
            assert key not in path.read_text(encoding="utf-8"), path
    for fmt in ("parquet",):
        frame = pd.read_parquet(after / "export" / f"analysis.{fmt}")
        assert key not in set(frame["client"])
    with open(after / "export" / "analysis.csv", encoding="utf-8") as fh:
        clients = {row["client"] for row in csv.DictReader(fh)}
    assert len(clients) > 1000
