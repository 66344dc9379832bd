"""Dilemmas beyond their team: the page to anonymise and share one, and the educators'
teaching material (dilemmas and stories). The session's side (linking, showing) is on the dialogue page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from werkplaats.core.versioning import save_form
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.stories import access
from werkplaats.stories.forms.dilemmas import ProposeDilemmaForm, SharedDilemmaForm
from werkplaats.stories.models import SharedDilemma
from werkplaats.stories.services import dilemmas as services
from werkplaats.stories.views.common import form_errors


@login_required
@require_http_methods(["GET", "POST"])
def dilemma_share(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Anonymise a dilemma (masks proposed, a person reviews), mark it as teaching
    material, propose it for a dialogue session; shows where it is shared."""
    dilemma = access.access_dilemma_to_share(request.user, pk)
    shared = SharedDilemma.objects.filter(dilemma=dilemma).first()
    sessions = access.sessions_to_propose(request.user)
    if shared is not None:
        sessions = sessions.exclude(dilemma_links__shared=shared)
    if shared is None:
        initial: dict[str, object] = dict(services.proposed_texts(request.user, dilemma))
    else:
        initial = {name: getattr(shared, name) for name in services.TEXTS}
        initial |= {"teaching": shared.teaching, "version": shared.version}
    posted = request.POST if request.method == "POST" else None
    form = SharedDilemmaForm(posted if posted and "save" in posted else None, initial=initial)
    propose = ProposeDilemmaForm(
        posted if posted and "propose" in posted else None, sessions=sessions
    )
    status = 200
    if posted and "save" in posted:
        refused: int | None = 400
        if form.is_valid():
            data = form.cleaned_data
            refused = save_form(
                form,
                lambda: services.shared_dilemma_save(
                    dilemma=dilemma,
                    user=request.user,
                    expected_version=data["version"],
                    values_at_stake=data["values_at_stake"],
                    options_weighed=data["options_weighed"],
                    choice=data["choice"],
                    reasons=data["reasons"],
                    teaching=data["teaching"],
                ),
            )
            if refused is None:
                messages.success(request, _("The anonymised dilemma was saved."))
                return redirect("stories:dilemma_share", pk=pk)
        status = refused or 400
    elif posted and "propose" in posted:
        if shared is None:
            propose.add_error(None, _("Save the anonymised version first."))
        elif propose.is_valid():
            try:
                services.dilemma_propose(
                    shared=shared, session=propose.cleaned_data["session"], user=request.user
                )
            except ValidationError as exc:
                form_errors(propose, exc)
            else:
                messages.success(request, _("The dilemma was proposed for the session."))
                return redirect("stories:dilemma_share", pk=pk)
        status = 400
    elif posted:
        status = 400
    links = shared.session_links.select_related("session__study") if shared else ()
    return render(
        request,
        "stories/dilemma_share.html",
        {
            "dilemma": dilemma,
            "shared": shared,
            "form": form,
            "propose": propose,
            "has_sessions": sessions.exists(),
            "links": links,
        },
        status=status,
    )


@login_required
def teaching(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Teaching material for educators: anonymised dilemmas by kind of tension, and
    anonymised stories whose tellers gave consent for teaching."""
    found = access.teaching_material(request.user)
    return render(
        request, "stories/teaching.html", {"dilemmas": found.dilemmas, "stories": found.stories}
    )
