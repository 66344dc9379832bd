"""Joint displays, the case view, findings, dialogue sessions, member checks, programme map."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.web import logged_in
from werkplaats.casework.models import TargetGroup
from werkplaats.portal.selectors import programme_map
from werkplaats.stories import selectors, services
from werkplaats.stories.models import JointDisplayCell, MemberCheckResponse, Source

pytestmark = pytest.mark.django_db


def _case_url(study, trajectory) -> str:
    from werkplaats.core.pseudonyms import study_case_key

    return reverse(
        "stories:case", kwargs={"study": study.pk, "case": study_case_key(study.pk, trajectory.pk)}
    )


def test_the_case_address_is_study_scoped_and_carries_no_trajectory_id(world):
    from tests.programme.factories import ConsentFactory, StudyFactory

    other = StudyFactory(title="Studie T")
    other.researchers.add(world.rita)
    ConsentFactory(client=world.client_a, study=other, recorded_by=world.alice)
    first, second = (
        _case_url(world.study_s, world.trajectory_a),
        _case_url(other, world.trajectory_a),
    )
    key_first, key_second = (
        first.rstrip("/").rsplit("/", 1)[1],
        second.rstrip("/").rsplit("/", 1)[1],
    )
    assert str(world.trajectory_a.pk) not in key_first.split("-")[1]
    assert key_first.split("-")[1] != key_second.split("-")[1]
    rita = logged_in(world.rita)
    assert rita.get(first).status_code == 200 and rita.get(second).status_code == 200
    # The raw id is no address at all, and one study's key does not open the other's page.
    raw = f"/stories/studies/{world.study_s.pk}/cases/{world.trajectory_a.pk}/"
    assert rita.get(raw).status_code == 404
    crossed = f"/stories/studies/{other.pk}/cases/{key_first}/"
    assert rita.get(crossed).status_code == 404


def test_joint_display_puts_frequency_quotes_and_gas_change_per_group_side_by_side(world):
    group = TargetGroup.objects.earliest("code")
    world.trajectory_a.target_groups.add(group)
    groups, cells = selectors.joint_display(world.round_a)
    assert groups == [group.code]
    (cell,) = cells
    assert cell.theme == world.theme_a
    assert (cell.frequency, cell.n_sources) == (1, 1)
    assert cell.quotes == [world.segment_a]
    # Klaas: baseline -1, latest 0 on one goal: T from 40 to 50.
    assert cell.figure == {"mean": pytest.approx(10.0), "n": 1}


def test_researchers_judge_the_relation_with_a_meta_inference(world):
    url = reverse("stories:joint_display", kwargs={"pk": world.round_a.pk})
    rita = logged_in(world.rita)
    post = {
        "theme": world.theme_a.pk,
        "group": "",
        "relation": "expands",
        "meta_inference": "Buren verklaren de groei.",
    }
    assert rita.post(url, {**post, "version": 0}).status_code == 302
    cell = JointDisplayCell.objects.get(round=world.round_a, theme=world.theme_a)
    assert cell.relation == "expands" and cell.version == 1
    assert (
        rita.post(url, {**post, "relation": "confirms", "version": cell.version}).status_code == 302
    )
    stale = rita.post(url, {**post, "relation": "contradicts", "version": cell.version})
    assert stale.status_code == 409
    cell.refresh_from_db()
    assert cell.relation == "confirms"
    assert "Buren verklaren de groei." in rita.get(url).content.decode()


def test_two_first_saves_of_one_joint_cell_give_a_conflict_not_a_crash(world, monkeypatch):
    """Another researcher's first save lands between this save's check and its insert."""
    url = reverse("stories:joint_display", kwargs={"pk": world.round_a.pk})
    full_clean = JointDisplayCell.full_clean

    def someone_else_first(cell, *args, **kwargs):
        full_clean(cell, *args, **kwargs)
        if cell.pk is None and not JointDisplayCell.objects.exists():
            JointDisplayCell.objects.bulk_create(
                [
                    JointDisplayCell(
                        round=cell.round,
                        theme=cell.theme,
                        group=cell.group,
                        relation="expands",
                        meta_inference="Eerste.",
                        updated_by=world.ruben,
                        version=1,
                    )
                ]
            )

    monkeypatch.setattr(JointDisplayCell, "full_clean", someone_else_first)
    post = {"theme": world.theme_a.pk, "group": "", "version": 0}
    response = logged_in(world.rita).post(
        url, {**post, "relation": "confirms", "meta_inference": "Tweede."}
    )
    # A conflict, as for any edit of a judgement changed since it was read. (The other
    # row goes with this request's rollback here; in real life it was committed apart.)
    assert response.status_code == 409


def test_the_joint_display_says_its_figure_is_a_stand_in(world):
    world.trajectory_a.target_groups.add(TargetGroup.objects.first())
    url = reverse("stories:joint_display", kwargs={"pk": world.round_a.pk})
    page = logged_in(world.rita).get(url).content.decode()
    assert "Vervangend cijfer: gemiddelde verandering in GAS T-score" in page
    assert "vervangend cijfer</small>" in page  # next to the figure itself


def test_case_view_shows_fragments_next_to_goals_and_network(world):
    url = _case_url(world.study_s, world.trajectory_a)
    page = logged_in(world.alice).get(url).content.decode()
    assert world.segment_a.snippet in page
    assert world.goal_a.text in page
    assert "<svg" in page and "Dochter" in page  # the lead professional sees the care view


def test_case_view_for_researchers_is_pseudonymised(world):
    from werkplaats.core.pseudonyms import study_pseudonym

    url = _case_url(world.study_s, world.trajectory_a)
    page = logged_in(world.rita).get(url).content.decode()
    assert world.segment_a.snippet in page
    assert study_pseudonym(world.study_s.pk, world.client_a.pk) in page
    assert world.client_a.pseudonym not in page
    # The network by relation only; goals as level series; dates by month.
    assert "<svg" in page and "Dochter" not in page and "Huisarts" not in page
    assert "familie" in page
    assert world.goal_a.text not in page
    score = world.goal_a.scores.get()
    assert score.date == dt.date(2025, 4, 20)
    assert "20 april 2025" not in page and "april 2025" in page
    assert "20 januari 2025" not in page and "januari 2025" in page  # the network snapshot


def test_case_view_refuses_a_trajectory_of_a_client_outside_the_study(world):
    url = _case_url(world.study_s, world.trajectory_a)
    world.consent_a.delete()
    assert logged_in(world.rita).get(url).status_code == 404


def test_case_view_needs_the_clients_study_consent(world):
    from werkplaats.programme import services as programme_services

    programme_services.consent_withdraw(consent=world.consent_a, user=world.klaas)
    url = _case_url(world.study_s, world.trajectory_a)
    assert logged_in(world.rita).get(url).status_code == 404


def test_findings_dialogue_and_discussed_with_clients(world):
    rita = logged_in(world.rita)
    rita.post(
        reverse("stories:findings", kwargs={"pk": world.study_s.pk}),
        {"statement": "Ontmoeting werkt.", "quotes": [world.segment_a.pk]},
    )
    finding = world.study_s.findings.get(statement="Ontmoeting werkt.")
    assert list(finding.quotes.all()) == [world.segment_a]
    rita.post(reverse("stories:finding", kwargs={"pk": finding.pk}), {"discussed": "1"})
    finding.refresh_from_db()
    assert finding.discussed_with_clients_at is not None
    response = rita.post(
        reverse("stories:dialogues", kwargs={"pk": world.study_s.pk}),
        {
            "held_on": "2025-09-01",
            "title": "Tweede sessie",
            "findings": [finding.pk],
            "interpretations": "Klanten zien het anders.",
            "disagreements": "Over de rol van buren.",
            "actions": "Terugkoppelen aan team.",
            "n_client": 4,
            "n_experience_expert": 1,
            "n_policy_maker": 1,
        },
    )
    assert response.status_code == 302
    session = world.study_s.dialogue_sessions.get(title="Tweede sessie")
    assert {p.kind for p in session.participants.all()} == {"client_org", "municipality"}
    page = rita.get(reverse("stories:dialogue", kwargs={"pk": session.pk})).content.decode()
    assert "Over de rol van buren." in page and world.segment_a.snippet[:20] in page


def test_a_dialogue_needs_participants(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.dialogue_create(
            study=world.study_s,
            user=world.rita,
            held_on=world.trajectory_a.start,
            title="Leeg",
            participants={"client": 0},
        )


def test_member_check_through_a_one_time_link_becomes_new_data(world):
    url = reverse("stories:member_check_link", kwargs={"token": world.check_token})
    anonymous = Client()
    assert "Buren helpen u weer naar buiten." in anonymous.get(url).content.decode()
    anonymous.post(url, {"agreement": "partly", "comment": "Mijn zoon helpt ook."})
    response = MemberCheckResponse.objects.get(member_check=world.check_a)
    source = response.source
    assert source is not None and source.kind == Source.Kind.MEMBER_CHECK
    assert "Mijn zoon helpt ook." in source.text
    assert source.study == world.study_s and source.has_research_consent
    assert response.member_check.finding == world.finding_a
    # One time only.
    again = anonymous.get(url)
    assert again.context["gone"]
    assert MemberCheckResponse.objects.count() == 1


def test_member_check_on_the_clients_own_page(world):
    klaas = logged_in(world.klaas)
    assert klaas.get(reverse("stories:mine")).context["checks"][0] == world.check_a
    url = reverse("stories:member_check_respond", kwargs={"pk": world.check_a.pk})
    klaas.post(url, {"agreement": "yes", "comment": ""})
    assert world.check_a.response.agreement == "yes"
    assert klaas.get(url).context["answered"]


def test_a_finding_shows_a_one_time_link_once(world):
    rita = logged_in(world.rita)
    response = rita.post(
        reverse("stories:finding", kwargs={"pk": world.finding_a.pk}),
        {"synthesis": "Samen sterk.", "one_time_link": "on"},
    )
    assert "/stories/check/" in response.context["link"]
    assert (
        "/stories/check/"
        not in rita.get(
            reverse("stories:finding", kwargs={"pk": world.finding_a.pk})
        ).content.decode()
    )


def test_member_checks_go_only_to_clients_with_standing_consent(world):
    from django.core.exceptions import ValidationError

    from werkplaats.programme import services as programme_services

    programme_services.consent_withdraw(consent=world.consent_a, user=world.klaas)
    with pytest.raises(ValidationError):
        services.member_check_create(
            finding=world.finding_a, user=world.rita, synthesis="x", client=world.client_a
        )


def test_stakeholder_kinds_per_phase_feed_the_programme_map(world):
    row = next(r for _angle, rows in programme_map() for r in rows if world.study_s in r.studies)
    # Dialogue A (clients and professionals, at the study's phase) and round A's coders
    # (researcher, experience expert, client) in the analysis phase.
    assert row.phase_kinds[world.study_s.phase] == {"client_org", "practice"}
    assert row.phase_kinds["analysis"] == {"knowledge", "client_org"}
    page = logged_in(world.otto).get(reverse("programme:map")).content.decode()
    assert "Who took part, per phase" in page or "Wie deed mee, per fase" in page


def test_a_one_time_link_expires(world, time_machine):
    import datetime as dt

    from django.utils import timezone

    time_machine.move_to(timezone.now() + dt.timedelta(days=31))
    url = reverse("stories:member_check_link", kwargs={"token": world.check_token})
    assert Client().get(url).context["gone"]
    assert (
        Client()
        .get(reverse("stories:member_check_link", kwargs={"token": "guess"}))
        .context["gone"]
    )


def test_a_member_check_answer_is_refused_once_study_consent_is_withdrawn(world):
    from django.core.exceptions import ValidationError

    from werkplaats.programme import services as programme_services

    programme_services.consent_withdraw(consent=world.consent_a, user=world.klaas)
    sources_before = Source.objects.count()
    with pytest.raises(ValidationError, match="consent for this study no longer stands"):
        services.member_check_respond(check=world.check_a, agreement="yes", comment="")
    url = reverse("stories:member_check_respond", kwargs={"pk": world.check_a.pk})
    page = logged_in(world.klaas).post(url, {"agreement": "yes", "comment": "Klopt."})
    assert "Uw toestemming voor dit onderzoek geldt niet meer" in page.content.decode()
    assert Source.objects.count() == sources_before
    assert not MemberCheckResponse.objects.filter(member_check=world.check_a).exists()


def test_the_lead_professional_sees_the_case_only_under_studies_the_client_consented_to(world):
    from tests.programme.factories import StudyFactory

    alice = logged_in(world.alice)
    other = StudyFactory(title="Studie zonder toestemming")
    url = _case_url(other, world.trajectory_a)
    assert alice.get(url).status_code == 404
    world.consent_a.delete()
    url = _case_url(world.study_s, world.trajectory_a)
    assert alice.get(url).status_code == 404


def test_the_member_check_client_list_shows_study_pseudonyms_only(world):
    from werkplaats.core.pseudonyms import study_pseudonym
    from werkplaats.stories.models import MemberCheck

    url = reverse("stories:finding", kwargs={"pk": world.finding_a.pk})
    rita = logged_in(world.rita)
    page = rita.get(url).content.decode()
    key = study_pseudonym(world.study_s.pk, world.client_a.pk)
    assert key in page
    assert world.client_a.pseudonym not in page
    assert f'<option value="{world.client_a.pk}"' not in page
    before = MemberCheck.objects.filter(client=world.client_a).count()
    rita.post(url, {"synthesis": "Samen sterk.", "client": key})
    assert MemberCheck.objects.filter(client=world.client_a).count() == before + 1
    # A raw client id is not accepted in its place.
    rita.post(url, {"synthesis": "Samen sterk.", "client": str(world.client_a.pk)})
    assert MemberCheck.objects.filter(client=world.client_a).count() == before + 1
