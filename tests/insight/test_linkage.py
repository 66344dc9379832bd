"""Two studies' exports cannot be joined to find the clients they share.

The attack, as a researcher holding both exports would run it: undo the centring (the
centres are in the specification), give each client of each export a signature made of
every column the two exports share (the times of their measurements, the moderators both
plans use and, for the same outcome, their scores) and link a client of one export to a
client of the other when their signature is the same and occurs once in each. The truth
(which keys are the same person) comes from the pseudonym key, which the attacker lacks.

On the demo workplace (900 clients, seed 4; 254-260 clients in both exports), with the
protections of ``insight.linkage`` switched off (exact days, exact shares, both studies
holding the same score series), the attack links 258 of 260 shared clients when both
studies measure the same outcome (and 15 of 254 when the second uses goal attainment);
with them on (per-client counts such as network sizes in bands too), it must link at
most 2 (measured: 0 of 260 and 2 of 254, with 3 and 7 false links).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
import pytest
from django.db import transaction

from werkplaats.core.pseudonyms import study_pseudonym
from werkplaats.demo.generator import build_demo
from werkplaats.insight import linkage
from werkplaats.insight.analysis import model_frame
from werkplaats.insight.dataset import consenting_trajectories, definitions, study_data
from werkplaats.insight.models import AnalysisPlan
from werkplaats.insight.plan import load_text, parse_plan
from werkplaats.programme.models import Study

CLIENTS, SEED = 900, 4
# The second study's plan shares the demo plan's per-client moderators (a hard case).
PLAN_B = """\
format: werkplaats.plan/1
outcome: %(outcome)s
moderators:
  client: [informal_size_start, is_frail_elderly, age_at_start]
  process: [video_share, alliance_mean]
  context: []
random: [professional]
centring: grand_mean
"""
GOALS = "gas_t"
MASTERY = "{instrument: pearlin-mastery, scale: mastery, informant: client}"


@pytest.fixture(scope="module")
def studies(django_db_setup, django_db_blocker):
    """The demo's cohort study (its own plan) and the black-box study, which shares
    clients with it; the second gets its plan in each test."""
    with django_db_blocker.unblock(), transaction.atomic():
        build_demo(CLIENTS, seed=SEED, identities=False)
        a = Study.objects.get(title__startswith="Wat werkt")
        b = Study.objects.get(title__startswith="De zwarte doos")
        yield a, b
        transaction.set_rollback(True)


def _set_plan(study: Study, outcome: str) -> None:
    plan = parse_plan(load_text(PLAN_B % {"outcome": outcome}))
    AnalysisPlan.objects.create(
        study=study, version=1, content=plan.as_dict(), content_hash=plan.content_hash()
    )


def _export(study: Study) -> tuple[pd.DataFrame, set[str]]:
    """The model's data exactly as exported, with the centring undone, and the names of
    the per-client columns (the attacker reads them from the codebook)."""
    plan = AnalysisPlan.objects.filter(study=study).latest("version").plan
    kinds = {v.name: v.kind for v in definitions()}
    frame, _spec, centres = model_frame(study_data(study, plan).rows, plan, kinds)
    for c in centres:
        if c.method == "grand_mean" and c.value is not None:
            frame[c.column] = frame[c.column] + c.value
    return frame, {c.column for c in centres}


def _signatures(frame: pd.DataFrame, columns: list[str]) -> dict[str, tuple[Any, ...]]:
    f = frame[["client", *columns]].copy()
    for c in columns:
        f[c] = pd.to_numeric(f[c], errors="coerce").round(4)
    return {
        client: tuple(sorted(tuple(r) for r in rows[columns].itertuples(index=False)))
        for client, rows in f.groupby("client")
    }


def _link(sig_a: dict[str, Any], sig_b: dict[str, Any], same: dict[str, str]) -> tuple[int, int]:
    """Clients whose signature occurs once in each export and is the same: (right, wrong)."""
    count_a, count_b = Counter(sig_a.values()), Counter(sig_b.values())
    unique_b = {s: k for k, s in sig_b.items() if count_b[s] == 1}
    right = wrong = 0
    for k, s in sig_a.items():
        if count_a[s] == 1 and s in unique_b:
            if unique_b[s] == same.get(k):
                right += 1
            else:
                wrong += 1
    return right, wrong


def linked_share(a: Study, b: Study) -> tuple[int, int, int]:
    """(linked correctly and uniquely, linked wrongly, shared clients in both exports),
    for the better of two attacks: on every shared column of every row (the times and,
    for the same outcome, the scores too), and on the per-client columns alone (when the
    outcomes differ, the two studies measure on other dates)."""
    export_a, vars_a = _export(a)
    export_b, vars_b = _export(b)
    per_client = sorted(vars_a & vars_b)
    rows = ["time", *per_client] + (["score"] if _same_outcome(a, b) else [])
    ids = consenting_trajectories(a).values_list("client_id", flat=True).distinct()
    same = {study_pseudonym(a.pk, c): study_pseudonym(b.pk, c) for c in ids}
    best = (0, 0)
    for columns in (rows, per_client):
        if not columns:
            continue
        sig_a, sig_b = _signatures(export_a, columns), _signatures(export_b, columns)
        best = max(best, _link(sig_a, sig_b, same))
    in_b = set(export_b["client"])
    in_both = sum(1 for k in set(export_a["client"]) if same.get(k) in in_b)
    return best[0], best[1], in_both


def _same_outcome(a: Study, b: Study) -> bool:
    outcomes = [AnalysisPlan.objects.filter(study=s).latest("version").plan.outcome for s in (a, b)]
    return outcomes[0] == outcomes[1]


def _unprotected(monkeypatch: pytest.MonkeyPatch) -> None:
    """The data as they were before insight.linkage: exact days, exact values, every
    study holding every consenting client's series."""
    monkeypatch.setattr(linkage, "protection", lambda study, plan, consenting: linkage.Protection())


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", [GOALS, MASTERY], ids=["other-outcome", "same-outcome"])
def test_two_exports_joined_on_every_shared_column_fail_to_link(
    studies, outcome: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = studies
    _set_plan(b, outcome)
    with monkeypatch.context() as before:
        _unprotected(before)
        right_before, _wrong, shared_before = linked_share(a, b)
    right, wrong, shared = linked_share(a, b)
    print(
        f"\n{outcome}: unprotected {right_before}/{shared_before} linked; "
        f"protected {right}/{shared_before} linked ({wrong} false links, {shared} in both)"
    )
    assert shared_before >= 100
    if outcome == MASTERY:  # the score series alone link almost everyone, unprotected
        assert right_before / shared_before > 0.9
    assert right <= right_before
    assert right <= 2  # (near) zero: at most 2 of the 250-odd shared clients


@pytest.mark.django_db
def test_the_later_study_leaves_out_the_shared_series_and_says_so(studies) -> None:
    a, b = studies
    _set_plan(b, MASTERY)
    plan = AnalysisPlan.objects.filter(study=b).latest("version").plan
    data = study_data(b, plan)
    both = set(consenting_trajectories(a).values_list("client_id", flat=True)) & set(
        consenting_trajectories(b).values_list("client_id", flat=True)
    )
    assert data.withheld_clients > 0 and data.withheld_for == (a.title,)
    assert not set(data.rows["client"]) & {study_pseudonym(b.pk, c) for c in both}
    # the report says so, in its warnings and its specification
    from django.utils import translation

    from werkplaats.insight.report import build_report

    with translation.override("en"):
        report = build_report(b, n_boot=5)
    left_out = f"{data.withheld_clients} clients are left out"
    assert any(w.startswith(left_out) and a.title in w for w in report.warnings)
    assert report.specification["linkage"]["withheld_clients"] == data.withheld_clients
    assert report.specification["linkage"]["count_bands"][-1] == {"from": 6, "value": 7.5}
    assert report.specification["linkage"]["coarsened"] is True
    assert "whole months" in report.specification["linkage"]["time"]
    # the earlier study keeps them
    data_a = study_data(a, AnalysisPlan.objects.filter(study=a).latest("version").plan)
    assert data_a.withheld_clients == 0
    assert set(data_a.rows["client"]) & {study_pseudonym(a.pk, c) for c in both}


@pytest.mark.django_db
def test_values_are_exact_until_another_planned_study_shares_clients(studies) -> None:
    a, b = studies
    plan = AnalysisPlan.objects.filter(study=a).latest("version").plan
    alone = study_data(a, plan).rows
    months = alone["time"] * 12
    assert not (months - months.round()).abs().lt(1e-9).all()  # exact days
    from werkplaats.insight.report import build_report

    linked = build_report(a, n_boot=5).specification["linkage"]  # and says so
    assert linked["coarsened"] is False and "whole months" not in linked["time"]
    assert "exact" in linked["time"] and linked["rounded"] == {} and linked["count_bands"] == []
    _set_plan(b, GOALS)
    shared = study_data(a, plan).rows
    months = shared["time"] * 12
    assert (months - months.round()).abs().lt(1e-9).all()  # whole months
    shares = shared["video_share"].dropna() * 5
    assert (shares - shares.round()).abs().lt(1e-9).all()


def test_time_is_in_whole_months_and_values_are_coarsened() -> None:
    start = pd.Series(pd.to_datetime(["2024-01-10", "2024-01-10"]))
    wave = pd.Series(pd.to_datetime(["2024-04-12", "2024-07-01"]))
    assert list(linkage.months_since_start(wave, start)) == [3 / 12, 6 / 12]
    variables = {v.name: v for v in _definitions_stub()}
    frame = pd.DataFrame(
        {
            "video_share": [7 / 13, 0.04],
            "alliance_mean": [3.61, 4.9],
            "age_at_start": [47, 83],
            "informal_size_start": [3, 7],
        }
    )
    counts = pd.DataFrame({"informal_size_start": [0, 1, 2, 3, 5, 6, 9, 10, 17, None]})
    out = linkage.coarsen(frame, variables)
    assert list(out["video_share"]) == [0.6, 0.0]
    assert list(out["alliance_mean"]) == [3.5, 5.0]
    assert list(out["age_at_start"]) == [45, 85]
    assert list(out["informal_size_start"]) == [4.0, 7.5]  # counts in bands
    banded = linkage.coarsen(counts, variables)["informal_size_start"]
    assert list(banded[:-1]) == [0.0, 1.5, 1.5, 4.0, 4.0, 7.5, 7.5, 7.5, 7.5]
    assert pd.isna(banded.iloc[-1])  # a missing count stays missing


def _definitions_stub() -> list[Any]:
    from werkplaats.insight.dataset import Variable

    return [
        Variable("video_share", "process", "number", "", ""),
        Variable("alliance_mean", "process", "number", "", ""),
        Variable("age_at_start", "client", "number", "", ""),
        Variable("informal_size_start", "client", "number", "", ""),
    ]


@pytest.mark.django_db
def test_a_variable_the_plan_needs_exact_stays_exact_and_the_report_says_so(studies) -> None:
    from django.utils import translation

    from werkplaats.insight.report import build_report

    a, b = studies
    text = PLAN_B % {"outcome": GOALS} + "exact: [informal_size_start]\n"
    plan = parse_plan(load_text(text))
    AnalysisPlan.objects.create(
        study=b, version=1, content=plan.as_dict(), content_hash=plan.content_hash()
    )
    rows = study_data(b, plan).rows
    sizes = set(rows["informal_size_start"].dropna())
    assert {2.0, 5.0} <= sizes  # exact counts, not the bands' values
    assert set(rows["age_at_start"].dropna()) <= set(range(0, 120, 5))  # others coarsened
    assert study_data(b, plan).linkable_on == ("informal_size_start",)
    with translation.override("en"):
        report = build_report(b, n_boot=5)
    assert any(
        w.startswith("This study's data are linkable on informal_size_start")
        and "data steward" in w
        for w in report.warnings
    )
    assert report.specification["linkage"]["exact"] == ["informal_size_start"]
    # a study alone keeps exact values anyway, and its report warns of nothing
    plan_a = AnalysisPlan.objects.filter(study=a).latest("version").plan
    assert study_data(a, plan_a).linkable_on == ()


def test_the_plan_names_only_its_own_variables_exact_and_old_hashes_stay() -> None:
    from werkplaats.insight.plan import PlanError

    with pytest.raises(PlanError) as caught:
        parse_plan(load_text(PLAN_B % {"outcome": GOALS} + "exact: [network_size_start]\n"))
    assert caught.value.problems[0].key == "exact"
    assert "network_size_start is not one of the plan's" in caught.value.problems[0].text()
    without = parse_plan(load_text(PLAN_B % {"outcome": GOALS}))
    assert "exact" not in without.as_dict()  # the hash of a plan without it is unchanged
    data = load_text(PLAN_B % {"outcome": GOALS} + "exact: [age_at_start]\n")
    assert parse_plan(data).as_dict()["exact"] == ["age_at_start"]
    assert parse_plan(parse_plan(data).as_dict()) == parse_plan(data)
