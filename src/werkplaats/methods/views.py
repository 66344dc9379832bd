"""Pages of the methods library: browse, read, describe and change; fidelity per period."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from werkplaats.casework import access as case_access
from werkplaats.core.forms import add_refusal
from werkplaats.core.versioning import save_form
from werkplaats.measurements.models import MethodSchedule, OrganisationSchedule, planned_entries
from werkplaats.methods import access, evidence, selectors, services
from werkplaats.methods.forms import FidelityPeriodForm, MethodForm, owner_candidates
from werkplaats.methods.models import FidelityMode, FidelityRecord
from werkplaats.partnership.http import AuthenticatedHttpRequest


@login_required
def library(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require_reader(request.user)
    methods = list(selectors.library())
    versions = selectors.current_versions(methods)
    rows = [(m, versions.get(m.pk)) for m in methods]
    return render(
        request,
        "methods/library.html",
        {"rows": rows, "can_create": access.can_create(request.user)},
    )


@login_required
def detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    method = access.access_method_by_id(request.user, pk)
    number = request.GET.get("version")
    version = selectors.version_of(method, int(number) if number and number.isdigit() else None)
    if number and version is None:
        raise Http404
    schedule = MethodSchedule.objects.filter(method=method).first()
    # the plan the reader's own organisation(s) set for this method, which their
    # trajectories follow instead of the default
    own_plans = [
        (s.organisation, planned_entries(s))
        for s in OrganisationSchedule.objects.filter(
            method=method, organisation__memberships__user=request.user
        )
        .select_related("organisation")
        .distinct()
        .order_by("organisation__name")
    ]
    return render(
        request,
        "methods/detail.html",
        {
            "method": method,
            "version": version,
            "versions": method.versions.order_by("-number"),
            "owners": [o.user for o in method.owners.select_related("user")],
            "planned": planned_entries(schedule),
            "has_schedule": schedule is not None,
            "own_plans": own_plans,
            "can_edit": access.can_edit(request.user, method),
            "evidence": evidence.method_evidence(method),
            "high_fidelity": evidence.HIGH_FIDELITY_PERCENT,
            "studies": evidence.studies_estimating(method),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def method_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require_creator(request.user)
    owners = owner_candidates() if access.can_grant_ownership(request.user) else None
    form = MethodForm(
        request.POST or None,
        owners=owners,
        initial=MethodForm.initial_from(None, "", 1),
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = services.method_create(
                user=request.user,
                content=form.content(),
                owners=form.cleaned_data.get("owners") or (),
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, _("The method was saved."))
            return redirect("methods:detail", pk=version.method_id)
    return render(request, "methods/form.html", {"form": form, "title": _("Describe a new method")})


@login_required
@require_http_methods(["GET", "POST"])
def method_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    method = access.access_method_by_id(request.user, pk, write=True)
    owners = owner_candidates() if access.can_grant_ownership(request.user) else None
    initial = MethodForm.initial_from(selectors.version_of(method), method.name, method.version)
    if owners is not None:
        initial["owners"] = [o.user for o in method.owners.select_related("user")]
    form = MethodForm(request.POST or None, owners=owners, initial=initial)
    context = {"form": form, "method": method, "title": _("Change %(name)s") % {"name": method}}
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        refused = save_form(
            form,
            lambda: services.method_update(
                method=method,
                user=request.user,
                expected_version=form.cleaned_data["version"] or method.version,
                content=form.content(),
                owners=form.cleaned_data.get("owners") if owners is not None else None,
            ),
        )
        if refused is None:
            messages.success(
                request,
                _("Version %(n)d of the method was saved.") % {"n": method.version},
            )
            return redirect("methods:detail", pk=pk)
        status = refused
    return render(request, "methods/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def fidelity_period(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The method's checklist for a month or quarter of the trajectory (the lead professional)."""
    trajectory = case_access.access_trajectory_by_id(request.user, pk, write=True)
    version = services.version_followed(trajectory)
    if version is None or not version.items.exists():
        messages.error(request, _("This trajectory's method has no fidelity checklist."))
        return redirect("casework:trajectory", pk=pk)
    items = list(version.items.all())
    day = timezone.localdate()
    existing = FidelityRecord.objects.filter(
        trajectory=trajectory,
        period_start=services.period_start(day, version.fidelity_mode),
    ).first()
    initial: dict[str, object] = {"day": day}
    if existing is not None:
        initial["version"] = existing.version
        initial["done"] = list(existing.answers.filter(done=True).values_list("item_id", flat=True))
    form = FidelityPeriodForm(request.POST or None, items=items, initial=initial)
    context = {
        "trajectory": trajectory,
        "form": form,
        "method_version": version,
        "per_contact": version.fidelity_mode == FidelityMode.CONTACT,
    }
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        refused = save_form(
            form,
            lambda: services.fidelity_record_period(
                trajectory=trajectory,
                version=version,
                user=request.user,
                day=form.cleaned_data["day"],
                done=form.done_ids(),
                expected_version=form.cleaned_data.get("version")
                if existing is not None
                and existing.period_start
                == services.period_start(form.cleaned_data["day"], version.fidelity_mode)
                else None,
            ),
        )
        if refused is None:
            messages.success(request, _("The fidelity checklist was saved."))
            return redirect("casework:trajectory", pk=pk)
        status = refused
    return render(request, "methods/fidelity_period.html", context, status=status)
