"""The contact form: casework's light registration plus, where the trajectory's method asks
for it per contact, the method's fidelity checklist (methods), saved in one transaction.

It lives in the portal because it composes two domains; it keeps its URL name
``casework:contact_new``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from werkplaats.casework import access as case_access
from werkplaats.casework import services as case_services
from werkplaats.casework.forms import ContactForm
from werkplaats.methods import services as method_services
from werkplaats.methods.forms import FidelityForm
from werkplaats.methods.models import FidelityMode
from werkplaats.partnership.http import AuthenticatedHttpRequest


@login_required
@require_http_methods(["GET", "POST"])
def contact_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = case_access.access_trajectory_by_id(request.user, pk, write=True)
    last = trajectory.contacts.order_by("-date", "-pk").first()
    form = ContactForm(request.POST or None, initial=ContactForm.initial_for(last))
    version = method_services.version_followed(trajectory)
    items = list(version.items.all()) if version is not None else []
    fidelity = (
        FidelityForm(request.POST or None, items=items)
        if version is not None and items and version.fidelity_mode == FidelityMode.CONTACT
        else None
    )
    if request.method == "POST" and form.is_valid() and (fidelity is None or fidelity.is_valid()):
        data = dict(form.cleaned_data)
        with transaction.atomic():
            contact = case_services.contact_create(
                trajectory=trajectory,
                user=request.user,
                actors=data.pop("actors"),
                principles=data.pop("principles"),
                **data,
            )
            if fidelity is not None and version is not None:
                method_services.fidelity_record_contact(
                    contact=contact, version=version, user=request.user, done=fidelity.done_ids()
                )
        messages.success(request, _("The contact was saved."))
        if "another" in request.POST:
            return redirect("casework:contact_new", pk=pk)
        return redirect("casework:trajectory", pk=pk)
    return render(
        request,
        "casework/contact_form.html",
        {
            "trajectory": trajectory,
            "form": form,
            "fidelity": fidelity,
            "method_version": version,
            "title": _("New contact"),
        },
    )
