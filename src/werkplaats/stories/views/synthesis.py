"""Synthesis pages: joint displays, findings, dialogue sessions, member checks."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from werkplaats.core.audit import log_access
from werkplaats.core.versioning import ConcurrentEditError
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.partnership.models import User
from werkplaats.stories import access, forms, selectors, services
from werkplaats.stories.models import (
    JointDisplayCell,
    MemberCheck,
    Segment,
    SessionDilemma,
    Source,
)
from werkplaats.stories.services import dilemmas as dilemma_services
from werkplaats.stories.views.common import form_errors


@login_required
@require_http_methods(["GET", "POST"])
def joint_display(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    coding_round = access.access_round_for_research(request.user, pk)
    status = 200
    if request.method == "POST":
        form = forms.JointCellForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            theme = coding_round.codebook.codes.filter(
                pk=data["theme"], parent__isnull=True
            ).first()
            if theme is None:
                raise Http404
            try:
                services.joint_cell_save(
                    coding_round=coding_round,
                    theme=theme,
                    group=data["group"] or "",
                    relation=data["relation"],
                    meta_inference=data["meta_inference"],
                    user=request.user,
                    expected_version=data["version"],
                )
            except ConcurrentEditError as exc:
                messages.error(request, " ".join(exc.messages))
                status = 409
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                status = 400
            else:
                return redirect("stories:joint_display", pk=pk)
    groups, cells = selectors.joint_display(coding_round)
    from werkplaats.casework.models import TargetGroup

    group_names = {g.code: str(g) for g in TargetGroup.objects.all()}
    log_access(request.user, "view", coding_round, "joint display")
    return render(
        request,
        "stories/joint_display.html",
        {
            "round": coding_round,
            "cells": cells,
            "group_names": group_names,
            "relations": JointDisplayCell.Relation.choices,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def findings(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = access.researcher_study(request.user, pk)
    form = forms.FindingForm(request.POST or None, study=study)
    if request.method == "POST" and form.is_valid():
        try:
            finding = services.finding_create(study=study, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            return redirect("stories:finding", pk=finding.pk)
    return render(
        request,
        "stories/findings.html",
        {
            "study": study,
            "findings": study.findings.all(),
            "form": form,
            "rounds": study.coding_rounds.all(),
            "sessions": study.dialogue_sessions.all(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def finding_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    finding = access.access_finding_by_id(request.user, pk)
    form = forms.MemberCheckForm(request.POST or None, study=finding.study)
    link = None
    if request.method == "POST":
        if "discussed" in request.POST:
            services.finding_mark_discussed(finding=finding, user=request.user)
            return redirect("stories:finding", pk=pk)
        if form.is_valid():
            try:
                _check, token = services.member_check_create(
                    finding=finding, user=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("The member check was sent."))
                if token:
                    link = request.build_absolute_uri(
                        reverse("stories:member_check_link", kwargs={"token": token})
                    )
                    form = forms.MemberCheckForm(study=finding.study)
                else:
                    return redirect("stories:finding", pk=pk)
    return render(
        request,
        "stories/finding.html",
        {
            "finding": finding,
            "form": form,
            "link": link,
            "checks": finding.member_checks.select_related("response"),
            "quotes": finding.quotes.filter(
                document__source__in=Source.objects.research_usable()
            ).select_related("code"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def dialogues(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = access.researcher_study(request.user, pk)
    form = forms.DialogueForm(request.POST or None, study=study)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        participants = form.participants()
        data = {k: v for k, v in data.items() if not k.startswith("n_")}
        try:
            session = services.dialogue_create(
                study=study, user=request.user, participants=participants, **data
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            return redirect("stories:dialogue", pk=session.pk)
    return render(
        request,
        "stories/dialogues.html",
        {"study": study, "sessions": study.dialogue_sessions.all(), "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def dialogue_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A session: its researchers invite experience experts and educators; everyone who
    may see it (researchers and invited guests) can add an interpretation."""
    session = access.access_dialogue_by_id(request.user, pk)
    is_researcher = access.is_dialogue_researcher(request.user, session)
    invite_form = forms.InviteForm(
        request.POST if "invite" in request.POST else None, session=session
    )
    form = forms.InterpretationForm(
        request.POST if "interpret" in request.POST else None, session=session
    )
    status = 200
    if request.method == "POST" and "decide" in request.POST:
        link = access.access_session_dilemma(request.user, session, _int(request.POST.get("link")))
        accept = request.POST["decide"] == "link"
        dilemma_services.dilemma_decide(link=link, user=request.user, accept=accept)
        messages.success(
            request,
            _("The dilemma is on the session's table.")
            if accept
            else _("The dilemma is not on the session's table."),
        )
        return redirect("stories:dialogue", pk=pk)
    if request.method == "POST" and "teaching" in request.POST:
        link = access.access_linked_dilemma_for_teaching(
            request.user, session, _int(request.POST.get("link"))
        )
        teaching = request.POST["teaching"] == "yes"
        dilemma_services.dilemma_teaching_set(link=link, user=request.user, teaching=teaching)
        messages.success(
            request,
            _("The dilemma is teaching material: educators can read it.")
            if teaching
            else _("The dilemma is no longer teaching material."),
        )
        return redirect("stories:dialogue", pk=pk)
    if request.method == "POST":
        if "invite" in request.POST:
            if not is_researcher:
                raise PermissionDenied
            if invite_form.is_valid():
                try:
                    services.dialogue_invite(
                        session=session, user=request.user, guest=invite_form.cleaned_data["guest"]
                    )
                except ValidationError as exc:
                    form_errors(invite_form, exc)
                else:
                    messages.success(request, _("The invitation was added."))
                    return redirect("stories:dialogue", pk=pk)
        elif form.is_valid():
            try:
                services.interpretation_add(session=session, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Your interpretation was added."))
                return redirect("stories:dialogue", pk=pk)
        status = 400
    added = session.added_interpretations.select_related("author")
    links = session.dilemma_links.select_related("shared")
    return render(
        request,
        "stories/dialogue.html",
        {
            "session": session,
            "is_researcher": is_researcher,
            "participants": session.participants.all(),
            "findings": session.findings.prefetch_related(
                Prefetch(
                    "quotes",
                    queryset=Segment.objects.filter(
                        document__source__in=Source.objects.research_usable()
                    ),
                ),
                Prefetch("interpretations", queryset=added, to_attr="added"),
            ),
            "session_interpretations": added.filter(finding__isnull=True),
            "invited": session.invitations.select_related("user") if is_researcher else (),
            "invite_form": invite_form if is_researcher else None,
            "form": form,
            "linked_dilemmas": [x for x in links if x.status == SessionDilemma.Status.LINKED],
            "proposed_dilemmas": [x for x in links if x.status != SessionDilemma.Status.LINKED]
            if is_researcher
            else (),
        },
        status=status,
    )


def _int(value: str | None) -> int:
    """A posted id; a missing or malformed one finds nothing (404)."""
    try:
        return int(value or "")
    except ValueError:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def member_check_respond(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    check = access.access_own_member_check(request.user, pk)
    return _respond(request, check, request.user)


@require_http_methods(["GET", "POST"])
def member_check_link(request: HttpRequest, token: str) -> HttpResponse:
    """A one-time link: no login; once answered or expired it shows a plain message."""
    check = services.member_check_by_token(token)
    if check is None:
        return render(request, "stories/member_check.html", {"gone": True})
    user = request.user if request.user.is_authenticated else None
    return _respond(request, check, user)


def _respond(request: HttpRequest, check: MemberCheck, user: User | None) -> HttpResponse:
    form = forms.MemberCheckResponseForm(request.POST or None)
    if check.answered:
        return render(request, "stories/member_check.html", {"check": check, "answered": True})
    if request.method == "POST" and form.is_valid():
        try:
            services.member_check_respond(check=check, user=user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            return render(request, "stories/member_check.html", {"check": check, "thanks": True})
    return render(request, "stories/member_check.html", {"check": check, "form": form})
