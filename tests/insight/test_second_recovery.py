"""Recovery on a workplace that is not the demo: another instrument (imported from a REDCap
data dictionary), other moderators, planted effects (tests/insight/nondemo.py).

The organisation's history is imported with ``werkplaats import history``, the study's
plan set with ``werkplaats plan set``, the report built with ``werkplaats report study``;
then every planted effect's 95% interval must cover its truth, and the estimates must
equal lme4's on ``export/analysis.csv`` with the ``formula`` of ``specification.json``
(``reference/second_recovery.R`` produced ``reference/second_recovery_lme4.csv``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.db import transaction
from numpy.testing import assert_allclose

from tests.insight.nondemo import EFFECTS, INSTRUMENT_FORM, write_history
from werkplaats.instruments.models import Instrument
from werkplaats.partnership.models import Membership, Organisation, Role, Team, User
from werkplaats.programme.models import Study, StudyParticipation

REFERENCE = Path(__file__).parent / "reference" / "second_recovery_lme4.csv"
CASE_FITS = Path(__file__).parent / "reference" / "case_fits_lme4.csv"
ORG = "Wijkteams Veerkracht"
PLAN = """\
format: werkplaats.plan/1
outcome: {instrument: %(instrument)s, scale: total, informant: client}
moderators:
  client: [age_at_start, language_other]
  process: [share_outreach]
  context: []
interactions: [[share_outreach, language_other]]
random: [professional]
centring: grand_mean
"""


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker, tmp_path_factory):
    """The organisation, its people and study, its instrument and history; the report."""
    tmp = tmp_path_factory.mktemp("nondemo")
    with django_db_blocker.unblock(), transaction.atomic():
        org = Organisation.objects.create(name=ORG, kind="practice")
        study = Study.objects.create(
            title="Veerkracht in de wijk",
            question="Voor wie helpt outreachend werken?",
            design="quantitative",
            participation="informed",
            phase="analysis",
            start=dt.date(2023, 1, 1),
        )
        StudyParticipation.objects.create(study=study, organisation=org)
        out = io.StringIO()
        written = None
        for name in ("Noord", "Oost", "West"):
            Team.objects.create(organisation=org, name=name)
        # the instrument, imported under the organisation's own licence
        from tests.insight.nondemo import dictionary_csv

        dictionary = tmp / "dictionary.csv"
        dictionary.write_text(dictionary_csv(), encoding="utf-8")
        call_command(
            "instruments",
            "import",
            str(dictionary),
            "--format",
            "redcap",
            "--organisation",
            ORG,
            stdout=out,
        )
        slug = (
            Instrument.objects.exclude(
                slug__in=Instrument.objects.filter(versions__organisation__isnull=True).values(
                    "slug"
                )
            )
            .get()
            .slug
        )
        written = write_history(tmp, instrument=slug, study=study.pk)
        for p, username in enumerate(written.professionals):
            user = User.objects.create_user(username=username, password="x" * 20)
            Membership.objects.create(
                user=user,
                organisation=org,
                role=Role.PROFESSIONAL,
                team=Team.objects.get(organisation=org, name=written.teams[p % 3]),
            )
        call_command("import_history", str(written.directory), organisation=ORG, stdout=out)
        plan = tmp / "plan.yaml"
        plan.write_text(PLAN % {"instrument": slug}, encoding="utf-8")
        call_command("plan", "set", str(study.pk), str(plan), stdout=out, language="en")
        call_command(
            "report_study",
            str(study.pk),
            "-o",
            str(tmp / "reports"),
            "--no-pdf",
            "--bootstrap",
            "10",
            stdout=out,
            language="en",
        )
        [folder] = list((tmp / "reports").iterdir())
        yield folder, written, slug
        transaction.set_rollback(True)


TERMS = {
    ("time",): EFFECTS["time"],
    ("age_at_start_c",): EFFECTS["age"],
    ("language_other",): EFFECTS["other"],
    ("share_outreach_c",): EFFECTS["out"],
    ("language_other", "share_outreach_c"): EFFECTS["out:other"],
    ("time", "age_at_start_c"): EFFECTS["time:age"],
    ("time", "language_other"): EFFECTS["time:other"],
    ("time", "share_outreach_c"): EFFECTS["time:out"],
    ("time", "language_other", "share_outreach_c"): EFFECTS["time:out:other"],
}


@pytest.mark.django_db
def test_the_planted_effects_are_recovered_from_the_plan(built) -> None:
    folder, written, slug = built
    assert INSTRUMENT_FORM.replace("_", "-") in slug or INSTRUMENT_FORM in slug
    spec = json.loads((folder / "specification.json").read_text())
    assert spec["outcome"]["instrument"] == slug and spec["outcome"]["scale"] == "total"
    centres = {c["variable"]: c["value"] for c in spec["centres"] if c["value"] is not None}
    for name, truth in written.centres.items():
        assert centres[name] == pytest.approx(truth, rel=1e-9), name  # from the data
    estimates = pd.read_csv(folder / "estimates.csv")
    by_parts = {
        frozenset(t.split(":")): r
        for t, r in zip(estimates["term"], estimates.to_dict("records"), strict=True)
    }
    assert len(by_parts) == len(TERMS) + 1
    for parts, truth in TERMS.items():
        row = by_parts[frozenset(parts)]
        assert row["ci_low"] <= truth <= row["ci_high"], (
            f"{row['term']}: truth {truth} outside [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"
        )
        if truth == 0:
            assert row["ci_low"] < 0 < row["ci_high"]


@pytest.mark.django_db
def test_the_estimates_equal_lme4_on_the_exported_data(built) -> None:
    folder, _written, _slug = built
    spec = json.loads((folder / "specification.json").read_text())
    analysis = pd.read_csv(folder / "export" / "analysis.csv")
    assert list(analysis.columns) == [
        "score",
        "time",
        "client",
        "professional",
        "age_at_start_c",
        "language_other",
        "share_outreach_c",
    ]
    reference = pd.read_csv(REFERENCE)
    assert reference["formula"].iloc[0] == spec["formula"]
    assert int(reference["nobs"].iloc[0]) == len(analysis)
    ours = pd.read_csv(folder / "estimates.csv").set_index("term")
    ref = reference.set_index("term")
    # lme4 names an interaction in the order of its formula; so does the engine
    assert set(ours.index) == set(ref.index)
    assert_allclose(ours.loc[ref.index, "estimate"], ref["estimate"], rtol=1e-4, atol=1e-6)
    assert_allclose(ours.loc[ref.index, "std_error"], ref["std_error"], rtol=1e-3, atol=1e-6)


@pytest.mark.django_db
def test_the_joint_displays_fitted_lines_equal_lme4s(built) -> None:
    """Each client's stored line (least squares through the model's fitted values) equals
    the line through lme4's fitted() on the same export and formula; the group figures
    are their means."""
    from werkplaats.insight.joint import NO_GROUP
    from werkplaats.insight.models import ModelCase, ReportRun

    folder, _written, _slug = built
    run = ReportRun.objects.get(path=str(folder))
    ours = pd.DataFrame(
        list(
            ModelCase.objects.filter(run=run).values("client", "intercept", "slope", "measurements")
        )
    ).set_index("client")
    reference = pd.read_csv(CASE_FITS).set_index("client")
    # The clients' study pseudonyms depend on the database's keys (the study's and the
    # clients' ids differ between SQLite and PostgreSQL runs), so the lines are compared as
    # sets: the same number of clients, and each column's sorted values equal (sorting
    # moves no value by more than the largest difference between the unsorted columns).
    assert len(ours) == len(reference)
    assert sorted(ours["measurements"]) == sorted(reference["n"])
    for ours_column, reference_column in (("slope", "slope"), ("intercept", "intercept")):
        assert_allclose(
            np.sort(ours[ours_column].to_numpy(dtype=float)),
            np.sort(reference[reference_column].to_numpy(dtype=float)),
            rtol=1e-4,
            atol=1e-5,
        )
    # this workplace records no target groups: one group of every client
    groups = run.model_groups["groups"]
    assert list(groups) == [NO_GROUP]
    assert groups[NO_GROUP]["n"] == len(reference)
    assert groups[NO_GROUP]["slope"] == pytest.approx(reference["slope"].mean(), rel=1e-4)
    assert groups[NO_GROUP]["low"] == pytest.approx(reference["slope"].quantile(0.25), rel=1e-4)
