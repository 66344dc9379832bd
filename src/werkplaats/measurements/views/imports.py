"""Answers from other tools: REDCap records or FHIR responses in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from werkplaats.core.audit import log_access
from werkplaats.core.i18n import current_language
from werkplaats.measurements import access
from werkplaats.measurements.answers_import import (
    MAX_RECORD_BYTES,
    AnswersImportError,
    fhir_import,
    redcap_import,
)
from werkplaats.measurements.forms import AnswersImportForm
from werkplaats.partnership.http import AuthenticatedHttpRequest


@login_required
@require_http_methods(["GET", "POST"])
def answers_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """REDCap records or FHIR responses in, for researchers and organisation admins."""
    organisations = access.answer_import_organisations(request.user)
    form = AnswersImportForm(
        request.POST or None, request.FILES or None, organisations=organisations
    )
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "measurements/answers_import.html", context, status=400)
        data = form.cleaned_data

        def read(name: str) -> bytes | None:
            return data[name].read(MAX_RECORD_BYTES + 1) if data.get(name) else None

        try:
            if data["source"] == "redcap":
                report = redcap_import(
                    dictionary=read("dictionary") or b"",
                    records=read("records") or b"",
                    events=read("events"),
                    organisation=data["organisation"],
                    user=request.user,
                    dry_run=data["dry_run"],
                )
            else:
                report = fhir_import(
                    files=[(data["responses"].name or "fhir.json", read("responses") or b"")],
                    organisation=data["organisation"],
                    user=request.user,
                    dry_run=data["dry_run"],
                )
        except AnswersImportError as exc:
            report = exc.report
            status = 400
            context["rejected"] = True
        else:
            if not data["dry_run"]:
                log_access(
                    request.user, "create", data["organisation"], f"answers import {data['source']}"
                )
        language = current_language()
        context["report"] = report
        context["rejected_lines"] = [r.text(language) for r in report.rejected]
        context["note_lines"] = [n.text(language) for n in report.notes]
        context["dry_run"] = data["dry_run"]
    return render(request, "measurements/answers_import.html", context, status=status)
