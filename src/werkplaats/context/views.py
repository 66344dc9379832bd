"""Context pages: the scan about a team or organisation, its profile over time, and a
municipality's characteristics per year."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from werkplaats.context import access, selectors, services
from werkplaats.context.forms import MunicipalityYearForm, ScanForm
from werkplaats.context.models import ContextResponse, MunicipalityYear
from werkplaats.core.versioning import save_form
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.partnership.models import Organisation, Team


def _scan(
    request: AuthenticatedHttpRequest,
    unit: Team | Organisation,
    informant: str,
    kind: str,
) -> HttpResponse:
    versions = selectors.context_versions()
    if not versions:
        raise Http404
    version = versions[0]
    year = timezone.localdate().year
    team = unit if isinstance(unit, Team) else None
    organisation = unit if isinstance(unit, Organisation) else None
    existing = ContextResponse.objects.filter(
        team=team,
        organisation=organisation,
        year=year,
        instrument=version.instrument,
        respondent=request.user,
    ).first()
    initial: dict[str, object] = {"year": year}
    if existing is not None:
        initial["version"] = existing.version
        initial.update({f"item_{k}": v for k, v in existing.answers.items()})
    form = ScanForm(request.POST or None, instrument=version, informant=informant, initial=initial)
    context = {"form": form, "unit": unit, "kind": kind, "instrument": version}
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        refused = save_form(
            form,
            lambda: services.context_answer(
                user=request.user,
                version=version,
                informant=informant,
                year=form.cleaned_data["year"],
                answers=form.answers(),
                expected_version=form.cleaned_data.get("version")
                if existing is not None and form.cleaned_data["year"] == year
                else None,
                team=team,
                organisation=organisation,
            ),
        )
        if refused is None:
            messages.success(request, _("Thank you: your answers were saved."))
            return redirect(f"context:{kind}", pk=unit.pk)
        status = refused
    return render(request, "context/scan.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def team_scan(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    team, informant = access.access_team(request.user, pk, answer=True)
    if informant is None:  # access_team(answer=True) has refused these already
        raise Http404
    return _scan(request, team, informant, "team")


@login_required
@require_http_methods(["GET", "POST"])
def organisation_scan(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation, informant = access.access_organisation(request.user, pk, answer=True)
    if informant is None:
        raise Http404
    return _scan(request, organisation, informant, "organisation")


def _profile_page(
    request: AuthenticatedHttpRequest, unit: Team | Organisation, kind: str, can_answer: bool
) -> HttpResponse:
    return render(
        request,
        "context/profile.html",
        {
            "unit": unit,
            "kind": kind,
            "profile": selectors.profile(kind, unit.pk),
            "can_answer": can_answer,
            "min_respondents": selectors.MIN_RESPONDENTS,
        },
    )


@login_required
def team(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    unit, informant = access.access_team(request.user, pk)
    return _profile_page(request, unit, "team", informant is not None)


@login_required
def organisation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    unit, informant = access.access_organisation(request.user, pk)
    return _profile_page(request, unit, "organisation", informant is not None)


@login_required
def municipalities(request: AuthenticatedHttpRequest) -> HttpResponse:
    own = access.policy_municipalities(request.user)
    years = MunicipalityYear.objects.filter(municipality__in=own)
    return render(
        request,
        "context/municipalities.html",
        {"municipalities": own, "years": years, "this_year": timezone.localdate().year},
    )


@login_required
@require_http_methods(["GET", "POST"])
def municipality_year(request: AuthenticatedHttpRequest, pk: int, year: int) -> HttpResponse:
    municipality = access.access_municipality(request.user, pk)
    if not 2000 <= year <= timezone.localdate().year + 1:
        raise Http404
    record = MunicipalityYear.objects.filter(municipality=municipality, year=year).first()
    form = MunicipalityYearForm(
        request.POST or None,
        instance=record,
        initial={"version": record.version if record else None},
    )
    context = {"form": form, "municipality": municipality, "year": year}
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        refused = save_form(
            form,
            lambda: services.municipality_year_save(
                municipality=municipality,
                year=year,
                user=request.user,
                fields=data,
                expected_version=form.cleaned_data.get("version"),
            ),
        )
        if refused is None:
            messages.success(request, _("The characteristics were saved."))
            return redirect("context:municipalities")
        status = refused
    return render(request, "context/municipality_year.html", context, status=status)
