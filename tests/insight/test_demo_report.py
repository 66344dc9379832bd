"""The study report on the demo workplace: planted effects recovered, consent honoured.

One demo of 3,000 clients is built once for the module (inside a transaction that is
rolled back at the end); every test runs in its own savepoint.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from scipy.stats import norm

from werkplaats.core.pseudonyms import study_pseudonym
from werkplaats.demo.generator import DEMO_PLAN, PEARLIN_LATENT_SCALE, build_demo
from werkplaats.demo.truth import CENTRES, EFFECTS, truth_frame
from werkplaats.insight.analysis import run_analyses
from werkplaats.insight.dataset import definitions, study_data
from werkplaats.insight.plan import Plan
from werkplaats.insight.report import write_report
from werkplaats.insight.selectors import caseload_frame, current_plan
from werkplaats.programme.models import Consent, Study

CLIENTS, SEED = 3000, 1

# the demo's planted variable -> the plan's catalogue variable (demo/plan.yaml)
VARIABLE = {
    "net0": "informal_size_start",
    "frail": "is_frail_elderly",
    "sb": "professional_share_strengths_based",
    "out": "professional_share_outreach",
    "policy": "organisation_strengths_based_policy",
    "video": "video_share",
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        build_demo(CLIENTS, seed=SEED, identities=False)
        yield Study.objects.get(title__startswith="Wat werkt")
        transaction.set_rollback(True)


def _plan(study: Study) -> Plan:
    """The study's current analysis plan; a study without one fails the test."""
    found = current_plan(study)
    assert found is not None, f"{study} has no analysis plan"
    return found.plan


@pytest.fixture(scope="module")
def frame(demo: Study, django_db_blocker) -> pd.DataFrame:
    with django_db_blocker.unblock():
        return study_data(demo, _plan(demo)).rows


@pytest.fixture(scope="module")
def folder(demo: Study, django_db_blocker, tmp_path_factory) -> Path:
    """The report built through the plan file, as a researcher would: plan set, report."""
    with django_db_blocker.unblock():
        out = io.StringIO()
        call_command(
            "plan",
            "set",
            demo.slug,
            str(DEMO_PLAN),
            stdout=out,
            language="en",
        )
        assert "Formula:" in out.getvalue()
        return write_report(demo, tmp_path_factory.mktemp("demo"), pdf=False, n_boot=20)


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


def truth_at(centres: dict[str, float]) -> dict[frozenset[str], float]:
    """The planted effects re-expressed at the centres the report computed from the data.

    The demo plants its effects around fixed centres (truth.CENTRES); the report centres
    at the analysed data's means. With d = (data centre - planted centre), the highest-
    order terms are unchanged and each lower-order growth term absorbs its interactions
    times d (e.g. time:sb = g_sb + g_sb_net * d_net). Main effects on the level at the
    start have no interactions planted, so they stay.
    """
    e = EFFECTS
    d = {k: centres[VARIABLE[k]] - CENTRES[k] for k in ("net0", "sb", "out", "policy", "video")}
    c = {k: (VARIABLE[k] + "_c" if k != "frail" else VARIABLE[k]) for k in VARIABLE}
    t = {
        ("time",): e["time"]
        + e["time:sb"] * d["sb"]
        + e["time:sb:net0"] * d["sb"] * d["net0"]
        + e["time:net0"] * d["net0"]
        + e["time:out"] * d["out"]
        + e["time:policy"] * d["policy"]
        + e["time:video"] * d["video"],
        (c["net0"],): e["net0"],
        (c["frail"],): e["frail"],
        ("time", c["sb"]): e["time:sb"] + e["time:sb:net0"] * d["net0"],
        ("time", c["net0"]): e["time:net0"] + e["time:sb:net0"] * d["sb"],
        ("time", c["sb"], c["net0"]): e["time:sb:net0"],
        ("time", c["out"]): e["time:out"],
        ("time", c["out"], c["frail"]): e["time:out:frail"],
        ("time", c["frail"]): e["time:frail"] + e["time:out:frail"] * d["out"],
        ("time", c["policy"]): e["time:policy"],
        ("time", c["video"]): e["time:video"],
        (c["sb"],): 0.0,
        (c["out"],): 0.0,
        (c["policy"],): 0.0,
        (c["video"],): 0.0,
        (c["sb"], c["net0"]): 0.0,
        (c["out"], c["frail"]): 0.0,
    }
    return {frozenset(k): v for k, v in t.items()}


@pytest.mark.django_db
def test_the_report_recovers_the_planted_effects_through_the_plan_file(folder: Path) -> None:
    spec = json.loads((folder / "specification.json").read_text())
    assert spec["plan"]["version"] == 1 and len(spec["plan"]["content_hash"]) == 64
    assert spec["formula"].startswith("score ~ time * (informal_size_start_c + is_frail_elderly")
    assert spec["formula"].endswith("+ (1 + time | client) + (1 + time | professional)")
    centres = {c["variable"]: c["value"] for c in spec["centres"] if c["method"] == "grand_mean"}
    assert set(centres) == set(VARIABLE.values()) - {"is_frail_elderly"}
    # the centres are the data's means, one value per trajectory (not constants)
    analysis = pd.read_csv(folder / "export" / "analysis.csv")
    assert list(analysis.columns) == [
        "score",
        "time",
        "client",
        "professional",
        *[c["column"] for c in spec["centres"]],
    ]
    assert abs(analysis["informal_size_start_c"].mean()) < 0.5
    estimates = pd.read_csv(folder / "estimates.csv")
    assert list(estimates.columns) == [
        "model",
        "term",
        "estimate",
        "std_error",
        "df",
        "ci_low",
        "ci_high",
        "level",
        "clusters",
        "grouping",
    ]
    # t intervals with Satterthwaite df: a context term rests on the professionals (or
    # coarser), so its df are far below the number of measurements, and the interval is
    # wider than the Wald z interval.
    policy = estimates.set_index("term").loc["time:organisation_strengths_based_policy_c"]
    assert 0 < policy["df"] < len(analysis) / 10
    assert policy["clusters"] > 0 and policy["grouping"]
    assert policy["ci_high"] - policy["estimate"] > 1.96 * policy["std_error"]
    by_parts = {
        frozenset(t.split(":")): row
        for t, row in zip(estimates["term"], estimates.to_dict("records"), strict=True)
    }
    slope = pearlin_slope()
    for parts, planted in truth_at(centres).items():
        row = by_parts[parts]
        truth = planted * slope
        assert row["ci_low"] <= truth <= row["ci_high"], (
            f"{row['term']}: truth {truth:.3f} outside [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"
        )
        if planted == 0:
            assert row["ci_low"] < 0 < row["ci_high"], (
                f"null effect {row['term']} called significant"
            )
    levels = dict(zip(estimates["term"], estimates["level"], strict=True))
    assert levels["is_frail_elderly"] == "client"
    assert levels["time:organisation_strengths_based_policy_c"] == "context"
    assert levels["time:professional_share_outreach_c"] == "process"
    html = (folder / "report.html").read_text()
    assert spec["formula"] in html
    assert "Satterthwaite" in html


@pytest.mark.django_db
def test_the_exports_hold_only_the_plans_variables(folder: Path) -> None:
    analysis = pd.read_csv(folder / "export" / "analysis.csv")
    assert "network_size_start" not in analysis and "municipality" not in analysis
    items = pd.read_csv(folder / "export" / "items.csv")
    assert set(items["item"]) == {f"m{i}" for i in range(1, 8)}
    assert {"client", "wave", "time", "informant", "value"} <= set(items.columns)


@pytest.mark.django_db
def test_agreement_finds_the_planted_frail_discrepancy_and_mediation_finds_none(
    frame: pd.DataFrame,
) -> None:
    plan = _plan(Study.objects.get(title__startswith="Wat werkt"))
    kinds = {v.name: v.kind for v in definitions()}
    results = run_analyses(frame, plan, kinds=kinds, n_boot=100)
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
    results = run_analyses(frame, _plan(demo), n_boot=10, caseload=caseload_frame(demo))
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


@pytest.mark.django_db
def test_team_feedback_shows_change_per_target_group_and_who_is_not_on_track(demo: Study) -> None:
    from django.test import Client

    from werkplaats.casework.models import Contact
    from werkplaats.insight.feedback import unit_outcomes
    from werkplaats.insight.selectors import unit_feedback
    from werkplaats.partnership.models import Membership, Role

    manager = (
        Membership.objects.filter(role=Role.TEAM_MANAGER).select_related("team").earliest("pk")
    )
    team = manager.team
    assert team is not None, "a team manager's membership names the team"
    trajectories = team.trajectories.all()
    [m] = unit_outcomes(trajectories, team.organisation, not_on_track=True)
    assert m.instrument == "pearlin-mastery" and not m.chosen
    assert m.n is not None and m.n >= 10 and m.mean_change is not None
    assert any(n is not None for _g, n, _v in m.by_group)
    assert all((n is None) == (v is None) for _g, n, v in m.by_group)
    assert all(n is None or n >= 10 for _g, n, _v in m.by_group)
    assert 0 < len(m.not_on_track) < m.n  # some lag behind comparable clients, not all
    # the SQL aggregate equals a recount in Python
    unit, _whole = unit_feedback(trajectories)
    contacts = Contact.objects.filter(trajectory__in=trajectories).prefetch_related("principles")
    total = contacts.count()
    with_sb = sum(
        1 for c in contacts if any(p.code == "strengths-based" for p in c.principles.all())
    )
    shares = {k.lower(): v for k, v in unit["principles"].items()}
    assert any(abs(v - with_sb / total) < 1e-12 for v in shares.values())
    c = Client()
    c.force_login(manager.user)
    page = c.get(f"/insight/teams/{team.pk}/feedback/").content.decode()
    assert m.not_on_track[0]["pseudonym"] in page
