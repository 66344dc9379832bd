"""Programme pages (the map is the portal's): studies, study data for its researchers, consent withdrawal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from werkplaats.core.audit import log_access
from werkplaats.core.pseudonyms import study_pseudonym
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.programme import access, services


@login_required
def study_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = access.access_study_by_id(request.user, pk)
    return render(
        request,
        "programme/study_detail.html",
        {
            "study": study,
            "participations": study.participations.select_related("organisation"),
            "is_researcher": study.researchers.filter(pk=request.user.pk).exists(),
        },
    )


@login_required
def study_data(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Pseudonymised overview of the consenting clients, for the study's researchers."""
    study = access.access_study_data_by_id(request.user, pk)
    clients = access.consenting_clients(study).select_related("neighbourhood__municipality")
    shown = list(clients[:1000])
    rows = [
        {
            "key": study_pseudonym(study.pk, c.pk),
            "birth_decade": (c.birth_year // 10 * 10) if c.birth_year else None,
            "municipality": c.neighbourhood.municipality.name if c.neighbourhood else "",
            "n_trajectories": c.trajectories.count(),
        }
        for c in shown
    ]
    log_access(
        request.user,
        "view",
        study,
        f"pseudonymised data, {len(rows)} clients",
        clients=[c.pk for c in shown],
        on_behalf_of=f"study: {study.title}",
    )
    return render(request, "programme/study_data.html", {"study": study, "rows": rows})


@login_required
@require_POST
def consent_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    consent = access.access_own_consent_by_id(request.user, pk)
    try:
        services.consent_withdraw(consent=consent, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your consent has been withdrawn."))
    return redirect("casework:me")
