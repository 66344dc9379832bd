"""Every URL, requested as every persona: the status each role must get.

A persona not named for a URL must get 403; an anonymous visitor is sent to the login
page (302). The last test fails when a URL pattern exists that this matrix does not
request, so a new page cannot slip in untested.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.measurements.factories import answer_all, expired_token, make_link, open_assessment
from tests.personas import PERSONAS
from werkplaats.core.pseudonyms import study_case_key

ALL = {p: 200 for p in PERSONAS}
STAFF = {p: 200 for p in PERSONAS if p not in {"klaas", "kim", "nina"}}
CASE_READ = {"alice": 200, "carol": 200, "bob": 404, "dave": 404}
CASE_WRITE = {"alice": 200, "bob": 404}
STORY_READERS = {p: 200 for p in ("rita", "ruben", "alice", "bob", "klaas", "kim", "eva", "otto")}
STUDY_RESEARCH = {"rita": 200, "ruben": 404}
RESEARCHERS = {"rita": 200, "ruben": 200}
ROUND_CODERS = {"rita": 200, "eva": 200, "klaas": 200, "ruben": 404, "kim": 404, "otto": 404}
LIBRARY = {p: 200 for p in PERSONAS if p not in {"klaas", "kim", "nina"}}
ANSWER_CLIENT = {"klaas": 200, "kim": 404, "alice": 404, "bob": 404}
ANSWER_PROFESSIONAL = {"alice": 200, "bob": 404, "klaas": 404, "kim": 404}
ANYONE = {p: 200 for p in PERSONAS}
ORG_ADMIN = {"erin": 200, "frank": 404}
CASE_MANAGE = {"alice": 200, "carol": 200, "bob": 404, "dave": 404}
# researchers, and Alice, who owns the described method (the 'method owner' permission)
# a team's or organisation's members and managers (context scan and profile)
UNIT_A = {"alice": 200, "carol": 200, "bob": 404, "dave": 404, "frank": 404}
METHOD_CREATORS = {"rita": 200, "ruben": 200, "alice": 200}
# protected figures across teams: researchers, and educators (teaching, professional body)
FIGURE_READERS = {"rita": 200, "ruben": 200, "otto": 200}


@dataclass
class Row:
    name: str
    kwargs: Callable[[Any], dict[str, Any]] = lambda w: {}
    expect: dict[str, int] = field(default_factory=dict)
    method: str = "get"
    anonymous: int = 302


MATRIX = [
    Row("home", expect=ALL),
    Row("login", expect={p: 302 for p in PERSONAS}, anonymous=200),
    Row("password_reset", expect=ANYONE, anonymous=200),
    Row("logout", method="post", expect={p: 302 for p in PERSONAS}),
    Row("session_keep_alive", method="post", expect={p: 204 for p in PERSONAS}),
    Row("set_language", method="post", expect={p: 302 for p in PERSONAS}),
    Row("operations:healthz", expect=ANYONE, anonymous=200),
    Row("operations:tasks", expect=ALL),
    Row("operations:preferences", expect=ALL),
    Row(
        "operations:stop",
        lambda w: {"token": _stop_token()},
        ANYONE,
        anonymous=200,
    ),
    Row("casework:caseload", expect={"alice": 200, "bob": 200, "carol": 200, "dave": 200}),
    Row("casework:trajectory", lambda w: {"pk": w.trajectory_a.pk}, CASE_READ),
    Row("casework:trajectory_edit", lambda w: {"pk": w.trajectory_a.pk}, CASE_WRITE),
    Row("casework:contact_new", lambda w: {"pk": w.trajectory_a.pk}, CASE_WRITE),
    Row("casework:goal_new", lambda w: {"pk": w.trajectory_a.pk}, CASE_WRITE),
    Row("casework:dilemma_new", lambda w: {"pk": w.trajectory_a.pk}, CASE_WRITE),
    Row("casework:network_member_new", lambda w: {"pk": w.trajectory_a.pk}, CASE_WRITE),
    Row("casework:goal_edit", lambda w: {"pk": w.goal_a.pk}, CASE_WRITE),
    Row("casework:team_dilemmas", lambda w: {"pk": w.team_a.pk}, {"carol": 200, "dave": 404}),
    Row("casework:team_dilemmas_print", lambda w: {"pk": w.team_a.pk}, {"carol": 200, "dave": 404}),
    Row("casework:dilemmas_across_teams", expect=FIGURE_READERS),
    Row("casework:working_principles", expect=FIGURE_READERS),
    Row(
        "casework:client_new",
        expect={"alice": 200, "bob": 200, "carol": 200, "dave": 200},
    ),
    Row("casework:trajectory_manage", lambda w: {"pk": w.trajectory_a.pk}, CASE_MANAGE),
    Row(
        "casework:trajectory_status",
        lambda w: {"pk": w.trajectory_a.pk},
        {"alice": 400, "carol": 400, "bob": 404, "dave": 404},
        method="post",
    ),
    Row(
        "casework:hand_over",
        lambda w: {"pk": w.trajectory_a.pk},
        {"alice": 400, "carol": 400, "bob": 404, "dave": 404},
        method="post",
    ),
    Row(
        "casework:client_invite",
        lambda w: {"pk": w.trajectory_a.pk},
        {"alice": 400, "carol": 400, "bob": 404, "dave": 404},
        method="post",
    ),
    Row("programme:study_consent_new", lambda w: {"pk": w.trajectory_a.pk}, CASE_MANAGE),
    # the client's consent for teaching, recorded with them as a study consent is
    Row("programme:teaching_consent_new", lambda w: {"pk": w.trajectory_a.pk}, CASE_MANAGE),
    Row(
        "programme:consent_document",
        lambda w: {"pk": _with_document(w.consent_a)},
        {"klaas": 200, "alice": 200, "carol": 200, "kim": 404, "bob": 404, "dave": 404},
    ),
    Row("casework:goal_score", lambda w: {"pk": w.goal_a.pk}, CASE_WRITE),
    Row("casework:me", expect={"klaas": 200, "kim": 200}),
    Row("casework:me_data", expect={"klaas": 200, "kim": 200}),
    Row("casework:me_data_page", expect={"klaas": 200, "kim": 200}),
    Row("casework:me_data_pdf", expect={"klaas": 200, "kim": 200}),
    Row("casework:figures", expect={"paula": 200}),
    Row("partnership:team", lambda w: {"pk": w.team_a.pk}, {"carol": 200, "dave": 404}),
    Row("partnership:organisation", lambda w: {"pk": w.org_a.pk}, {"erin": 200, "frank": 404}),
    Row("partnership:team_edit", lambda w: {"pk": w.team_a.pk}, ORG_ADMIN),
    Row("partnership:team_new", lambda w: {"pk": w.org_a.pk}, ORG_ADMIN),
    Row("partnership:member_invite", lambda w: {"pk": w.org_a.pk}, ORG_ADMIN),
    Row("partnership:member", lambda w: {"pk": w.org_a.pk, "member": _member(w.alice)}, ORG_ADMIN),
    Row(
        "partnership:member_reinvite",
        lambda w: {"pk": w.org_a.pk, "member": _member(w.alice)},
        ORG_ADMIN,
        method="post",
    ),
    Row(
        "partnership:invitation",
        lambda w: {"token": _invitation(w.alice)},
        ANYONE,
        anonymous=200,
    ),
    Row("programme:map", expect={p: 200 for p in PERSONAS if p != "nina"}),
    Row("second_factor", expect={p: 302 for p in PERSONAS}),
    Row("second_factor_setup", expect=ALL),
    Row("programme:study", lambda w: {"pk": w.study_s.pk}, STAFF),
    Row("programme:study_data", lambda w: {"pk": w.study_s.pk}, {"rita": 200, "ruben": 404}),
    Row("programme:study_new", expect=RESEARCHERS),
    Row("programme:study_edit", lambda w: {"pk": w.study_s.pk}, STUDY_RESEARCH),
    Row("instruments:library", expect=LIBRARY),
    Row("instruments:import", expect={"erin": 200, "frank": 200, "rita": 200, "ruben": 200}),
    Row(
        "measurements:answers_import",
        expect={"erin": 200, "frank": 200, "rita": 200, "ruben": 200},
    ),
    Row("instruments:version", lambda w: {"pk": _version("pearlin-mastery")}, LIBRARY),
    Row("instruments:export", lambda w: {"pk": _version("pearlin-mastery")}, LIBRARY),
    Row("measurements:trajectory", lambda w: {"pk": w.trajectory_a.pk}, CASE_READ),
    Row("measurements:plan_edit", lambda w: {"pk": w.trajectory_a.pk}, CASE_WRITE),
    Row(
        "measurements:assessment_start",
        lambda w: {"pk": w.trajectory_a.pk},
        {"alice": 400, "bob": 404},
        method="post",
    ),
    Row("measurements:export", lambda w: {"pk": w.trajectory_a.pk}, CASE_READ),
    Row(
        "measurements:method_schedule",
        lambda w: {"pk": _method()},
        {"carol": 200, "dave": 200, "erin": 200, "frank": 200},
    ),
    Row("measurements:fill", lambda w: {"pk": open_assessment(w.trajectory_a).pk}, ANSWER_CLIENT),
    Row(
        "measurements:answer",
        lambda w: {"pk": open_assessment(w.trajectory_a, "professional").pk},
        {**ANSWER_PROFESSIONAL, "alice": 400},
        method="post",
    ),
    Row(
        "measurements:complete",
        lambda w: {"pk": answer_all(open_assessment(w.trajectory_a)).pk},
        ANSWER_CLIENT,
        method="post",
    ),
    Row("measurements:link", lambda w: {"token": make_link(w.trajectory_a)}, ANYONE, anonymous=200),
    Row(
        "measurements:link_answer",
        lambda w: {"token": expired_token(w.trajectory_a)},
        {p: 410 for p in PERSONAS},
        method="post",
        anonymous=410,
    ),
    Row(
        "measurements:link_complete",
        lambda w: {"token": make_link(w.trajectory_a, answered=True)},
        ANYONE,
        method="post",
        anonymous=200,
    ),
    Row(
        "programme:consent_withdraw",
        lambda w: {"pk": w.consent_a.pk},
        {"klaas": 302, "kim": 404},
        method="post",
    ),
    Row("programme:consent_withdraw", lambda w: {"pk": w.consent_a.pk}, {"klaas": 200, "kim": 404}),
    Row(
        "programme:consent_renew",
        lambda w: {"pk": w.consent_a.pk},
        {"klaas": 302, "kim": 404},
        method="post",
    ),
    Row("stories:index", expect=STORY_READERS),
    Row("stories:source_new", expect={"rita": 200, "ruben": 200, "alice": 200, "bob": 200}),
    Row(
        "stories:source",
        lambda w: {"pk": w.source_a.pk},
        {"rita": 200, "alice": 200, "klaas": 200, "ruben": 404, "bob": 404, "kim": 404},
    ),
    Row(
        "stories:source_consent",
        lambda w: {"pk": w.source_a.pk},
        {"rita": 302, "alice": 302, "ruben": 404, "bob": 404},
        method="post",
    ),
    Row("stories:source_anonymise", lambda w: {"pk": w.source_a.pk}, STUDY_RESEARCH),
    Row("stories:document_edit", lambda w: {"pk": w.shared_a.pk}, STUDY_RESEARCH),
    # a researcher on the study offers an anonymised story as teaching material (or takes
    # it off: the POST without teaching=yes)
    Row(
        "stories:document_teaching",
        lambda w: {"pk": w.shared_a.pk},
        {"rita": 302, "ruben": 404},
        method="post",
    ),
    Row(
        "stories:co_coding",
        expect={p: 200 for p in ("rita", "ruben", "eva", "otto", "klaas", "kim")},
    ),
    Row("stories:codebooks", expect=RESEARCHERS),
    Row("stories:codebook_import", expect=RESEARCHERS),
    Row("stories:codebook", lambda w: {"pk": w.codebook_a.pk}, STUDY_RESEARCH),
    Row("stories:codebook_export", lambda w: {"pk": w.codebook_a.pk}, STUDY_RESEARCH),
    Row("stories:round_new", lambda w: {"pk": w.study_s.pk}, STUDY_RESEARCH),
    Row("stories:project_import", lambda w: {"pk": w.study_s.pk}, STUDY_RESEARCH),
    Row("stories:findings", lambda w: {"pk": w.study_s.pk}, STUDY_RESEARCH),
    Row("stories:dialogues", lambda w: {"pk": w.study_s.pk}, STUDY_RESEARCH),
    Row(
        "stories:case",
        lambda w: {"study": w.study_s.pk, "case": study_case_key(w.study_s.pk, w.trajectory_a.pk)},
        {"rita": 200, "ruben": 404, "alice": 200, "bob": 404},
    ),
    Row("stories:round", lambda w: {"pk": w.round_a.pk}, ROUND_CODERS),
    Row(
        "stories:code_document",
        lambda w: {"pk": w.round_a.pk, "doc": w.shared_a.pk},
        ROUND_CODERS,
    ),
    Row(
        "stories:round_done",
        lambda w: {"pk": w.round_a.pk},
        {**ROUND_CODERS, "rita": 302, "eva": 302, "klaas": 302},
        method="post",
    ),
    Row("stories:compare", lambda w: {"pk": w.round_a.pk}, ROUND_CODERS),
    Row("stories:round_export", lambda w: {"pk": w.round_a.pk}, STUDY_RESEARCH),
    Row("stories:joint_display", lambda w: {"pk": w.round_a.pk}, STUDY_RESEARCH),
    Row("stories:finding", lambda w: {"pk": w.finding_a.pk}, STUDY_RESEARCH),
    # the study's researchers, and Eva (experience expert) who was invited; Otto
    # (educator) was not
    Row(
        "stories:dialogue",
        lambda w: {"pk": w.dialogue_a.pk},
        {**STUDY_RESEARCH, "eva": 200, "otto": 404},
    ),
    # the lead professional and the team's manager share a dilemma anonymised
    Row("stories:dilemma_share", lambda w: {"pk": _dilemma(w)}, CASE_READ),
    Row("stories:teaching", expect={"otto": 200}),
    Row(
        "stories:member_check_link",
        lambda w: {"token": w.check_token},
        {p: 200 for p in PERSONAS},
        anonymous=200,
    ),
    Row("stories:mine", expect={"klaas": 200, "kim": 200}),
    Row(
        "stories:story_withdraw",
        lambda w: {"pk": w.source_a.pk},
        {"klaas": 302, "kim": 404},
        method="post",
    ),
    Row("stories:story_withdraw", lambda w: {"pk": w.source_a.pk}, {"klaas": 200, "kim": 404}),
    Row("stories:member_check_respond", lambda w: {"pk": w.check_a.pk}, {"klaas": 200, "kim": 404}),
    Row("insight:study", lambda w: {"pk": w.study_s.pk}, STUDY_RESEARCH),
    Row("insight:study_pdf", lambda w: {"pk": _stored_run(w)}, STUDY_RESEARCH),
    Row("insight:study_export", lambda w: {"pk": _planned(w), "fmt": "csv"}, STUDY_RESEARCH),
    Row(
        "insight:study_build",
        lambda w: {"pk": _planned(w)},
        {"rita": 302, "ruben": 404},
        method="post",
    ),
    Row("insight:plan", lambda w: {"pk": w.study_s.pk}, STUDY_RESEARCH),
    Row(
        "insight:plan_lock",
        lambda w: {"pk": _planned(w)},
        {"rita": 302, "ruben": 404},
        method="post",
    ),
    Row("insight:plan_file", lambda w: {"pk": _planned(w)}, STUDY_RESEARCH),
    Row("insight:cmo_new", lambda w: {"pk": w.study_s.pk}, STUDY_RESEARCH),
    Row("insight:cmo_edit", lambda w: {"pk": _cmo(w)}, STUDY_RESEARCH),
    Row("insight:progress", lambda w: {"pk": w.trajectory_a.pk}, CASE_READ),
    Row("insight:my_progress", expect={"klaas": 200, "kim": 200}),
    Row("insight:team", lambda w: {"pk": w.team_a.pk}, {"carol": 200, "dave": 404}),
    Row("insight:organisation", lambda w: {"pk": w.org_a.pk}, {"erin": 200, "frank": 404}),
    Row("insight:measures", lambda w: {"pk": w.org_a.pk}, {"erin": 200, "frank": 404}),
    Row("insight:municipality", expect={"paula": 200}),
    Row("insight:joint_display", lambda w: {"pk": w.round_a.pk}, STUDY_RESEARCH),
    Row(
        "insight:case_model",
        lambda w: {"study": w.study_s.pk, "case": study_case_key(w.study_s.pk, w.trajectory_a.pk)},
        {"rita": 200, "ruben": 404, "alice": 200, "bob": 404},
    ),
    Row("methods:library", expect=STAFF),
    Row("methods:detail", lambda w: {"pk": _described_method(w)}, STAFF),
    Row("methods:new", lambda w: _alice_owns_a_method(w), METHOD_CREATORS),
    Row("methods:edit", lambda w: {"pk": _described_method(w)}, METHOD_CREATORS),
    Row("methods:fidelity_period", lambda w: {"pk": _per_month(w)}, CASE_WRITE),
    Row("context:team", lambda w: {"pk": w.team_a.pk}, {**UNIT_A, "erin": 200}),
    Row("context:team_scan", lambda w: {"pk": w.team_a.pk}, {**UNIT_A, "erin": 404}),
    Row("context:organisation", lambda w: {"pk": w.org_a.pk}, {**UNIT_A, "erin": 200}),
    Row("context:organisation_scan", lambda w: {"pk": w.org_a.pk}, {**UNIT_A, "erin": 200}),
    Row("context:municipalities", expect={"paula": 200}),
    Row(
        "context:municipality_year",
        lambda w: {"pk": w.municipality_a.pk, "year": 2025},
        {"paula": 200},
    ),
]


def _dilemma(w: Any) -> int:
    """A dilemma in trajectory A (Alice leads it, Carol manages team A)."""
    import datetime as dt

    from werkplaats.casework.models import Dilemma

    return Dilemma.objects.get_or_create(
        trajectory=w.trajectory_a,
        tension=Dilemma.Tension.OTHER,
        defaults={
            "date": dt.date(2026, 1, 5),
            "description": "d",
            "values_at_stake": "v",
            "options_weighed": "o",
            "choice": "c",
            "reasons": "r",
            "recorded_by": w.alice,
        },
    )[0].pk


def _planned(w: Any) -> int:
    """Study S with an analysis plan (stored directly: the plan's checks are tested apart)."""
    from werkplaats.insight.models import AnalysisPlan
    from werkplaats.insight.plan import parse_plan

    plan = parse_plan(
        {
            "format": "werkplaats.plan/1",
            "outcome": {"instrument": "pearlin-mastery", "scale": "mastery"},
            "moderators": {"client": ["is_frail_elderly"]},
        }
    )
    AnalysisPlan.objects.get_or_create(
        study=w.study_s,
        version=1,
        defaults={"content": plan.as_dict(), "content_hash": plan.content_hash()},
    )
    return int(w.study_s.pk)


def _stored_run(w: Any) -> int:
    """Study S with a stored report run (its body stands in for a built report)."""
    from werkplaats.insight.models import AnalysisPlan, ReportRun

    _planned(w)
    ReportRun.objects.get_or_create(
        study=w.study_s,
        defaults={"plan": AnalysisPlan.objects.get(study=w.study_s), "html": "<p>report</p>"},
    )
    return int(w.study_s.pk)


def _cmo(w: Any) -> int:
    from werkplaats.insight.models import CmoConfiguration

    return CmoConfiguration.objects.get_or_create(
        study=w.study_s,
        context="Buurt met veel buren",
        defaults={"mechanism": "steun", "outcome": "regie", "created_by": w.rita},
    )[0].pk


def _stop_token() -> str:
    from werkplaats.operations.messages import opt_out_url

    return opt_out_url("buur@example.org").rstrip("/").rsplit("/", 1)[1]


def _with_document(consent: Any) -> int:
    from werkplaats.programme.models import Consent

    Consent.objects.filter(pk=consent.pk).update(document=b"%PDF-1.7 stand-in")
    return int(consent.pk)


def _member(user: Any) -> int:
    from werkplaats.partnership.models import Membership

    return Membership.objects.get(user=user).pk


def _invitation(user: Any) -> str:
    from werkplaats.partnership.invitations import invite

    return invite(user).url.rstrip("/").rsplit("/", 1)[1]


def _method() -> int:
    from werkplaats.casework.models import Method

    return Method.objects.get_or_create(name="Krachtgericht werken")[0].pk


def _described_method(w: Any) -> int:
    """A method described in the library, owned by Alice, with a monthly checklist."""
    from werkplaats.casework.models import Method
    from werkplaats.methods.services import MethodContent, method_create

    existing = Method.objects.filter(name="Sterk in de wijk").first()
    if existing is not None:
        return int(existing.pk)
    version = method_create(
        user=w.rita,
        content=MethodContent(
            name="Sterk in de wijk",
            fidelity_items=["Doel in eigen woorden besproken", "Netwerk betrokken"],
            fidelity_mode="month",
        ),
        owners=[w.alice],
    )
    return int(version.method_id)


def _alice_owns_a_method(w: Any) -> dict[str, Any]:
    """No URL arguments; Alice holds the method-owner permission for one method."""
    _described_method(w)
    return {}


def _per_month(w: Any) -> int:
    """Trajectory A follows the described method, whose checklist is answered per month."""
    from werkplaats.casework.models import Trajectory

    Trajectory.objects.filter(pk=w.trajectory_a.pk).update(
        method_id=_described_method(w), method_version=1
    )
    return int(w.trajectory_a.pk)


def _version(slug: str) -> int:
    from werkplaats.instruments.models import InstrumentVersion

    return InstrumentVersion.objects.get(instrument__slug=slug).pk


CASES = [
    pytest.param(row, persona, id=f"{row.name}-{persona or 'anonymous'}")
    for row in MATRIX
    for persona in [None, *PERSONAS]
]


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker):
    """One world for the whole matrix, built once; each case runs in its own savepoint,
    rolled back afterwards (the ``db`` fixture), so a POST in one case leaves no trace."""
    from tests.personas import build_world

    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "persona"), CASES)
def test_access(matrix_world, row: Row, persona: str | None) -> None:
    world = matrix_world
    client = Client()
    if persona is not None:
        client.force_login(getattr(world, persona))
        expected = row.expect.get(persona, 403)
    else:
        expected = row.anonymous
    url = reverse(row.name, kwargs=row.kwargs(world))
    response = getattr(client, row.method)(url)
    assert response.status_code == expected, (
        f"{persona or 'anonymous'} on {url}: got {response.status_code}, expected {expected}"
    )


def _all_url_names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            names |= _all_url_names(entry, ns)
        elif isinstance(entry, URLPattern):
            if entry.name is None:
                names.add(f"{prefix}<unnamed {entry.pattern}>")
            else:
                names.add(f"{prefix}{entry.name}")
    return names


def test_every_url_is_in_the_matrix() -> None:
    missing = _all_url_names() - {row.name for row in MATRIX}
    assert not missing, f"URL patterns that the access matrix does not request: {sorted(missing)}"


def test_matrix_names_only_existing_urls() -> None:
    stale = {row.name for row in MATRIX} - _all_url_names()
    assert not stale, f"The matrix names URL patterns that no longer exist: {sorted(stale)}"
