"""The home page: one per role, each showing the way into what that role may do."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from werkplaats.core.http import AuthenticatedHttpRequest
from werkplaats.partnership.models import Membership


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user=request.user).select_related(
        "organisation", "team"
    )
    roles = {m.role for m in memberships}
    studies = request.user.studies.all() if "researcher" in roles else []
    context: dict[str, object] = {"memberships": memberships, "roles": roles, "studies": studies}
    if "professional" in roles or "client" in roles:
        from werkplaats.measurements import selectors as measurement_selectors

        if "professional" in roles:
            context["due"] = measurement_selectors.due_list(request.user, timezone.localdate())
        if "client" in roles:
            context["questionnaires"] = measurement_selectors.open_client_assessments(request.user)
    if "team_manager" in roles or "org_admin" in roles:
        from werkplaats.casework.models import Method

        context["methods"] = Method.objects.all()[:50]
    return render(request, "core/home.html", context)
