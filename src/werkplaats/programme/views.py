"""Programme pages (the map is the portal's): studies, study data for its researchers, consent withdrawal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

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
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET asks first (what stops, what stays, how to say yes again); POST withdraws."""
    consent = access.access_own_consent_by_id(request.user, pk)
    if request.method == "GET":
        log_access(request.user, "view", consent)
        return render(request, "programme/consent_withdraw.html", {"consent": consent})
    try:
        services.consent_withdraw(consent=consent, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _(
                "You no longer take part in the study “%(study)s”. From now on your "
                "answers and stories are not used for it. You can say yes again below."
            )
            % {"study": consent.study.title if consent.study else ""},
        )
    return redirect(reverse("casework:me") + "#result")


@login_required
@require_POST
def consent_renew(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A client who withdrew says yes again to the same study: a new consent from now."""
    consent = access.access_own_consent_by_id(request.user, pk)
    if consent.study is None or consent.withdrawn_at is None:
        messages.error(request, _("This consent has not been withdrawn."))
        return redirect(reverse("casework:me") + "#result")
    try:
        services.consent_give(client=consent.client, user=request.user, study=consent.study)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("You take part in the study “%(study)s” again, from today.")
            % {"study": consent.study.title},
        )
    return redirect(reverse("casework:me") + "#result")
