"""Analysis plans: the file format, the catalogue, the command, the browser form, locking,
centring from the data, and the report that follows the plan."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from tests.insight.test_insight_app import PLAN, _measure
from werkplaats.insight.analysis import _change
from werkplaats.insight.models import AnalysisPlan, ReportRun
from werkplaats.insight.plan import OutcomeInfo, PlanError, centre, formula_preview, parse_plan
from werkplaats.insight.report import write_report

CATALOGUE_NAMES = [
    "network_size_start",
    "informal_share_start",
    "is_frail_elderly",
    "share_strengths_based",
    "alliance_mean",
    "age_at_start",
    "language_other",
    "has_method",
    "organisation_strengths_based_policy",
]


@pytest.fixture(autouse=True)
def _english(settings):
    """The commands speak the workplace's language (Dutch by default); these read English."""
    settings.LANGUAGE_CODE = "en"


def _write(tmp_path: Path, data: dict | str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_a_bad_plan_names_every_key_that_is_wrong() -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan(
            {
                "format": "werkplaats.plan/2",
                "outcome": {"instrument": "zrm"},
                "moderators": {"client": ["a"], "person": ["b"]},
                "interactions": [["a", "c"]],
                "random": ["neighbour"],
                "centring": "median",
                "extra": 1,
            }
        )
    keys = {p.key for p in caught.value.problems}
    assert keys == {
        "format",
        "extra",
        "outcome.scale",
        "moderators.person",
        "interactions[0]",
        "random",
        "centring",
    }


def test_the_formula_follows_the_plan() -> None:
    plan = parse_plan(
        {
            **PLAN,
            "moderators": {"client": ["network_size_start"], "process": ["has_method"]},
            "interactions": [["has_method", "network_size_start"]],
            "random": ["professional", "team"],
        }
    )
    kinds = {"network_size_start": "number", "has_method": "indicator"}
    assert formula_preview(plan, kinds) == (
        "score ~ time * (network_size_start_c + has_method + has_method:network_size_start_c)"
        " + (1 + time | client) + (1 + time | professional) + (1 + time | team)"
    )
    assert "network_size_start_c" not in formula_preview(
        parse_plan({**PLAN, "centring": "none", "moderators": {"client": ["network_size_start"]}}),
        kinds,
    )


def test_centres_come_from_the_data_one_value_per_trajectory() -> None:
    rows = pd.DataFrame(
        {
            "trajectory": ["t1", "t1", "t1", "t2", "t3"],
            "professional": ["p1", "p1", "p1", "p1", "p2"],
            "x": [1.0, 1.0, 1.0, 4.0, 10.0],
            "flag": [1, 1, 1, 0, 1],
        }
    )
    plan = parse_plan({**PLAN, "moderators": {"client": ["x", "flag"]}})
    out, centres = centre(rows, plan, {"x": "number", "flag": "indicator"})
    assert centres[0].value == pytest.approx(5.0)  # (1 + 4 + 10) / 3, not the row mean 3.4
    assert list(out["x_c"]) == [-4.0, -4.0, -4.0, -1.0, 5.0]
    assert centres[1].method == "none" and list(out["flag"]) == [1, 1, 1, 0, 1]
    grouped = parse_plan({**plan.as_dict(), "centring": "group_mean"})
    out, centres = centre(rows, grouped, {"x": "number", "flag": "indicator"})
    assert centres[0].method == "group_mean" and centres[0].groups == 2
    assert list(out["x_c"]) == [-1.5, -1.5, -1.5, 1.5, 0.0]  # p1: (1 + 4) / 2


def test_reliable_change_takes_its_direction_from_the_scale() -> None:
    traj = pd.DataFrame({"before": [10.0, 12.0, 11.0, 13.0], "after": [20.0, 22.0, 11.5, 3.0]})
    norms = {"sd": 3.0, "reliability": 0.9, "mean": None}
    better = _change(traj, OutcomeInfo("s", norms=norms, higher_is="better")).result
    worse = _change(traj, OutcomeInfo("s", norms=norms, higher_is="worse")).result
    assert (better.improved, better.deteriorated) == (2, 1)
    assert (worse.improved, worse.deteriorated) == (1, 2)


def test_the_catalogue_and_the_plan_command(world, tmp_path: Path) -> None:
    _measure(world)
    out = io.StringIO()
    call_command("plan", "variables", world.study_s.slug, stdout=out)
    listing = out.getvalue()
    for name in CATALOGUE_NAMES:
        assert f"  {name} " in listing, name
    assert "pearlin-mastery" in listing and "mastery" in listing
    with pytest.raises(CommandError) as caught:
        call_command(
            "plan",
            "set",
            world.study_s.slug,
            str(
                _write(
                    tmp_path,
                    {
                        **PLAN,
                        "outcome": {"instrument": "pearlin-mastery", "scale": "lonely"},
                        "moderators": {"client": ["share_outreach", "nonsense"]},
                    },
                )
            ),
        )
    text = str(caught.value)
    assert "outcome.scale: lonely" in text
    assert "moderators.client: share_outreach" in text and "process" in text
    assert "moderators.client: nonsense" in text
    assert not AnalysisPlan.objects.filter(study=world.study_s).exists()

    out = io.StringIO()
    call_command("plan", "set", str(world.study_s.pk), str(_write(tmp_path, PLAN)), stdout=out)
    assert "Formula: score ~ time * (is_frail_elderly)" in out.getvalue()
    out = io.StringIO()
    call_command("plan", "show", world.study_s.slug, stdout=out)
    shown = out.getvalue()
    assert "format: werkplaats.plan/1" in shown and "not locked" in shown
    # what show prints is a plan file again
    again = tmp_path / "again.yaml"
    again.write_text(shown, encoding="utf-8")
    call_command("plan", "set", world.study_s.slug, str(again), stdout=io.StringIO())
    assert AnalysisPlan.objects.filter(study=world.study_s).count() == 1  # same content

    out = io.StringIO()
    call_command("plan", "lock", world.study_s.slug, stdout=out)
    row = AnalysisPlan.objects.get(study=world.study_s)
    assert row.locked_at is not None and row.content_hash in out.getvalue()
    with pytest.raises(CommandError, match="pre-registered"):
        call_command(
            "plan",
            "set",
            world.study_s.slug,
            str(_write(tmp_path, {**PLAN, "centring": "none"})),
        )
    folder = write_report(world.study_s, tmp_path / "r", pdf=False, n_boot=10)
    spec = json.loads((folder / "specification.json").read_text())
    assert spec["plan"]["version"] == 1
    assert spec["plan"]["locked_before_data_were_read"] is True
    assert (
        spec["formula"]
        == "score ~ time * (is_frail_elderly) + (1 + time | client) + (1 + time | professional)"
    )
    assert len(spec["data_sha256"]) == 64
    assert pd.read_csv(folder / "estimates.csv").empty  # two scores: no model, but the file
    assert ReportRun.objects.get(study=world.study_s).plan_locked


def test_a_study_is_found_by_id_or_slug_and_a_wrong_one_is_named(world) -> None:
    with pytest.raises(CommandError, match="No study with id or slug nowhere"):
        call_command("plan", "show", "nowhere")
    with pytest.raises(CommandError, match="no analysis plan"):
        call_command("plan", "show", world.study_s.slug)


def test_the_plan_form_offers_what_the_data_hold_and_shows_the_formula(world) -> None:
    _measure(world)
    c = Client()
    c.force_login(world.rita)
    url = f"/insight/studies/{world.study_s.pk}/plan/"
    page = c.get(url).content.decode()
    assert "pearlin-mastery|mastery|client" in page
    # who answered, in the page's language: a walk through a new workplace found the codes
    dutch = c.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "pearlin-mastery · mastery · cliënt (" in dutch, "the informant as a code"
    assert 'value="is_frail_elderly"' in page
    # the team's edit counter (core.models.VersionedModel) is no context moderator; the
    # form once offered it as "team: version"
    assert 'value="team_version"' not in page
    # a random effect needs five levels: the persona world has one professional in the study
    assert "a random effect needs 5" in page or "willekeurig effect" in page
    form = {
        "base_version": 0,
        "outcome": "pearlin-mastery|mastery|client",
        "client": ["is_frail_elderly", "age_at_start"],
        "centring": "grand_mean",
    }
    preview = c.post(url, {**form, "preview": "1"}).content.decode()
    assert "score ~ time * (is_frail_elderly + age_at_start_c) + (1 + time | client)" in preview
    assert not AnalysisPlan.objects.exists()
    assert c.post(url, {**form, "save": "1"}).status_code == 302
    row = AnalysisPlan.objects.get(study=world.study_s)
    assert row.plan.client == ("is_frail_elderly", "age_at_start") and row.plan.random == ()
    # someone else's edit in between: a stale form is refused, not silently applied
    stale = c.post(url, {**form, "client": ["age_at_start"], "save": "1"})
    assert stale.status_code == 409
    assert AnalysisPlan.objects.filter(study=world.study_s).count() == 1
    plan_file = c.get(f"/insight/studies/{world.study_s.pk}/plan.yaml")
    assert plan_file.content.startswith(b"format: werkplaats.plan/1")
    version = AnalysisPlan.objects.get(study=world.study_s).version
    expected = f'attachment; filename="study-{world.study_s.pk}-plan-v{version}.yaml"'
    assert plan_file["Content-Disposition"] == expected


def test_the_plan_form_keeps_a_chosen_variable_exact_and_refuses_one_not_in_the_plan(
    world,
) -> None:
    _measure(world)
    c = Client()
    c.force_login(world.rita)
    url = f"/insight/studies/{world.study_s.pk}/plan/"
    assert 'name="exact" value="age_at_start"' in c.get(url).content.decode()
    form = {
        "base_version": 0,
        "outcome": "pearlin-mastery|mastery|client",
        "client": ["age_at_start"],
        "centring": "grand_mean",
        "save": "1",
    }
    refused = c.post(url, {**form, "exact": ["is_frail_elderly"]}).content.decode()
    assert re.search(
        "is_frail_elderly (is not one of the plan|is geen van de moderatoren of mediatoren)",
        refused.replace("&#x27;", "'"),
    )
    assert not AnalysisPlan.objects.exists()
    assert c.post(url, {**form, "exact": ["age_at_start"]}).status_code == 302
    row = AnalysisPlan.objects.get(study=world.study_s)
    assert row.plan.exact == ("age_at_start",) and row.content["exact"] == ["age_at_start"]
    # the stored choice is ticked when the form is opened again
    assert re.search(r'name="exact" value="age_at_start"[^>]*checked', c.get(url).content.decode())


def test_the_report_page_shows_the_latest_stored_run_and_builds_a_new_one(
    world, django_capture_on_commit_callbacks
) -> None:
    _measure(world)
    c = Client()
    c.force_login(world.rita)
    url = f"/insight/studies/{world.study_s.pk}/report/"
    assert "/plan/" in c.get(url).content.decode()  # no plan: go and write one
    c.post(
        f"/insight/studies/{world.study_s.pk}/plan/",
        {
            "base_version": 0,
            "outcome": "pearlin-mastery|mastery|client",
            "client": ["age_at_start"],
            "centring": "grand_mean",
            "save": "1",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):  # the queue starts on commit
        assert c.post(f"/insight/studies/{world.study_s.pk}/report/build/").status_code == 302
    # the build is a background task (run at once in tests), recorded with who started it
    from werkplaats.operations.models import TaskRun

    task = TaskRun.objects.get(kind="insight.build_report")
    assert task.status == "done" and task.started_by == world.rita
    run = ReportRun.objects.get(study=world.study_s)
    assert task.result["path"] == run.path
    assert run.plan is not None and run.plan.version == 1 and run.html
    page = c.get(url).content.decode()
    assert "score ~ time * (age_at_start_c)" in page
    # Built in Dutch: the informant in the reader's words (the methods once said
    # "beantwoord door client"), and "Made on ... UTC" in UTC (it once showed Amsterdam's
    # time, an hour off in winter).
    import datetime as dt

    from tests.web import logged_in

    dutch = logged_in(world.rita, "nl")
    with django_capture_on_commit_callbacks(execute=True):
        assert dutch.post(f"/insight/studies/{world.study_s.pk}/report/build/").status_code == 302
    dutch_page = dutch.get(url).content.decode()
    assert "beantwoord door cliënt; hoger is beter" in dutch_page
    made = re.search(r"Gemaakt op (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", dutch_page)
    assert made is not None
    stamp = dt.datetime.strptime(made.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
    newest = ReportRun.objects.filter(study=world.study_s).latest("pk")
    assert abs(stamp - newest.created_at) < dt.timedelta(minutes=2)
    assert timezone.localtime(run.created_at).strftime("%Y-%m-%d %H:%M") in page
    c.post(
        f"/insight/studies/{world.study_s.pk}/plan/",
        {
            "base_version": 1,
            "outcome": "pearlin-mastery|mastery|client",
            "client": ["is_frail_elderly"],
            "centring": "grand_mean",
            "save": "1",
        },
    )
    page = c.get(url).content.decode()
    assert "score ~ time * (age_at_start_c)" in page  # still the stored run, at once
    assert AnalysisPlan.objects.filter(study=world.study_s).count() == 2
    assert "(2)" in page or " 2)" in page  # the page says the plan moved on to version 2
    assert np.isfinite(run.seconds)


def test_a_build_under_way_is_shown_and_a_failed_one_says_why(world) -> None:
    from werkplaats.insight.tasks import KIND, object_key
    from werkplaats.operations.models import TaskRun

    c = Client()
    c.force_login(world.rita)
    _write_plan = AnalysisPlan.objects.create(
        study=world.study_s,
        version=1,
        content=parse_plan(PLAN).as_dict(),
        content_hash=parse_plan(PLAN).content_hash(),
    )
    assert _write_plan.pk
    url = f"/insight/studies/{world.study_s.pk}/report/"
    run = TaskRun.objects.create(kind=KIND, object_key=object_key(world.study_s.pk))
    page = c.get(url).content.decode()
    assert 'http-equiv="refresh"' in page and "Build a new report" not in page
    # a second click while it is queued does not queue a second build
    c.post(f"/insight/studies/{world.study_s.pk}/report/build/")
    assert TaskRun.objects.filter(kind=KIND).count() == 1
    TaskRun.objects.filter(pk=run.pk).update(
        status="failed", error="The study has no analysis plan yet.", finished_at=timezone.now()
    )
    page = c.get(url).content.decode()
    assert "The study has no analysis plan yet." in page and 'http-equiv="refresh"' not in page


def test_a_plan_file_with_a_byte_order_mark_or_in_another_encoding(world, tmp_path: Path) -> None:
    """A plan saved by Windows Notepad (BOM) was refused as not a plan; one in Windows-1252
    stopped the command with a UnicodeDecodeError traceback."""
    _measure(world)
    path = tmp_path / "plan.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(PLAN).encode())
    out = io.StringIO()
    call_command("plan", "set", world.study_s.slug, str(path), stdout=out)
    assert "Stored plan version 1" in out.getvalue()
    path.write_bytes(
        json.dumps({**PLAN, "title": "Groei in één jaar"}, ensure_ascii=False).encode("cp1252")
    )
    with pytest.raises(CommandError, match=r"is not UTF-8 text \(byte 0xe9"):
        call_command("plan", "set", world.study_s.slug, str(path))
