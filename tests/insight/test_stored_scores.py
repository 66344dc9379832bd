"""Scale scores are stored per assessment and read back: the feedback pages and reports
read stored scores, and what they read equals scoring the answers (a stored score from
an earlier completion is never read)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from werkplaats.insight import outcomes
from werkplaats.insight.models import StoredScore
from werkplaats.measurements.bulk import AssessmentValues, assessments_write_bulk, checkers_for
from werkplaats.measurements.models import Assessment
from werkplaats.measurements.services import AssessmentRecord, assessments_record_bulk
from werkplaats.stats.scoring import score

pytestmark = pytest.mark.django_db

# De Jong Gierveld 6: emotional items count "yes", social items count "no".
LONELY = {"lone3": 3, "lone9": 3, "lone10": 3, "lone4": 1, "lone7": 1, "lone8": 1}  # total 6
NOT = {"lone3": 1, "lone9": 1, "lone10": 1, "lone4": 3, "lone7": 3, "lone8": 3}  # total 0


def _record(trajectory, answers, wave="intake", days=0):
    return assessments_record_bulk(
        [
            AssessmentRecord(
                trajectory=trajectory,
                instrument="dejong-gierveld-6",
                informant="client",
                wave=wave,
                wave_date=trajectory.start + dt.timedelta(days=days),
                answers=answers,
            )
        ]
    )[0]


def _scored_directly(assessment: Assessment, scale: str) -> float | None:
    result = score(assessment.version.parsed, assessment.answer_map())
    return result[scale].value if scale in result else None


def test_scores_are_stored_once_and_read_back_equal_to_scoring_the_answers(world) -> None:
    a = _record(world.trajectory_a, LONELY)
    b = _record(world.trajectory_a, NOT, wave="m03", days=91)
    frame = outcomes.scores_for([world.trajectory_a], "dejong-gierveld-6", "total")
    assert list(frame["score"]) == [_scored_directly(a, "total"), _scored_directly(b, "total")]
    assert list(frame["score"]) == [6.0, 0.0]
    # every scale of the version is stored in the same pass
    scales = {s.id for s in a.version.parsed.scales}
    assert set(StoredScore.objects.filter(assessment=a).values_list("scale", flat=True)) == scales
    # read again: nothing is scored, the same frame comes back
    assert outcomes.store_scores(Assessment.objects.all(), "total") == 0
    again = outcomes.scores_for([world.trajectory_a], "dejong-gierveld-6", "total")
    assert list(again["score"]) == list(frame["score"])
    assert list(again.columns) == list(frame.columns)


def test_an_assessment_completed_again_is_scored_again(world) -> None:
    """A bulk import that replaces an assessment's answers sets a new completion time:
    the stored score of the earlier answers is not read, the new answers are scored."""
    a = _record(world.trajectory_a, LONELY)
    before = outcomes.scores_for([world.trajectory_a], "dejong-gierveld-6", "total")
    organisation = world.trajectory_a.team.organisation_id
    assessments_write_bulk(
        [
            AssessmentValues(
                world.trajectory_a.pk,
                "dejong-gierveld-6",
                "client",
                "intake",
                a.wave_date,
                tuple(NOT.items()),
            )
        ],
        checkers_for(organisation),
        replace=True,
    )
    a.refresh_from_db()
    after = outcomes.scores_for([world.trajectory_a], "dejong-gierveld-6", "total")
    assert len(after) == 1
    assert after["score"].iloc[0] == _scored_directly(a, "total")
    assert after["score"].iloc[0] != before["score"].iloc[0]
    stored = StoredScore.objects.get(assessment=a, scale="total")
    assert stored.completed_at == a.completed_at


def test_a_scale_the_version_lacks_is_stored_empty_and_not_looked_for_again(world) -> None:
    _record(world.trajectory_a, LONELY)
    frame = outcomes.scores_for([world.trajectory_a], "dejong-gierveld-6", "no-such-scale")
    assert len(frame) == 1 and frame["score"].isna().all()
    assert outcomes.store_scores(Assessment.objects.all(), "no-such-scale") == 0


def test_open_assessments_are_not_scored_and_deleted_ones_take_their_scores(world) -> None:
    a = _record(world.trajectory_a, LONELY)
    Assessment.objects.filter(pk=a.pk).update(status=Assessment.Status.OPEN)
    assert outcomes.scores_for([world.trajectory_a], "dejong-gierveld-6", "total").empty
    assert not StoredScore.objects.exists()
    Assessment.objects.filter(pk=a.pk).update(status=Assessment.Status.COMPLETE)
    assert len(outcomes.scores_for([world.trajectory_a], "dejong-gierveld-6", "total")) == 1
    a.delete()
    assert not StoredScore.objects.exists()


def test_the_command_stores_every_scale_of_every_completed_assessment(world) -> None:
    a = _record(world.trajectory_a, LONELY)
    out = StringIO()
    call_command("store_scores", stdout=out)
    assert "Scored 1 assessments" in out.getvalue()
    scales = {s.id for s in a.version.parsed.scales}
    assert set(StoredScore.objects.filter(assessment=a).values_list("scale", flat=True)) == scales
    for s in StoredScore.objects.filter(assessment=a):
        assert s.value == _scored_directly(a, s.scale)
    out = StringIO()
    call_command("store_scores", stdout=out)
    assert "Scored 0 assessments" in out.getvalue()


def test_an_informant_is_selected_by_the_database(world) -> None:
    _record(world.trajectory_a, LONELY)
    assessments_record_bulk(
        [
            AssessmentRecord(
                trajectory=world.trajectory_a,
                instrument="dejong-gierveld-6",
                informant="professional",
                wave="intake",
                wave_date=world.trajectory_a.start,
                answers=NOT,
            )
        ]
    )
    both = outcomes.scores_for([world.trajectory_a], "dejong-gierveld-6", "total")
    assert sorted(both["informant"]) == ["client", "professional"]
    client = outcomes.scores_for([world.trajectory_a], "dejong-gierveld-6", "total", "client")
    assert list(client["informant"]) == ["client"] and list(client["score"]) == [6.0]
