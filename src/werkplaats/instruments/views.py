"""The instrument library: list, one version, export, import."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from werkplaats.core.downloads import attachment
from werkplaats.core.i18n import current_language
from werkplaats.instruments import access, formats, selectors, services
from werkplaats.instruments.forms import ImportForm
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.stats.definition import DefinitionError, Problem


@login_required
def library(request: AuthenticatedHttpRequest) -> HttpResponse:
    versions = selectors.library(access.visible_versions(request.user))
    can_import = request.user.has_role(*access.IMPORTERS)
    return render(
        request, "instruments/library.html", {"versions": versions, "can_import": can_import}
    )


@login_required
def version_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = access.access_version_by_id(request.user, pk)
    definition = version.parsed
    language = current_language()
    items = [
        {
            "item": item,
            "text": definition.item_text(item.id, "client", language),
        }
        for item in definition.items
    ]
    return render(
        request,
        "instruments/version.html",
        {
            "version": version,
            "definition": definition,
            "items": items,
            "losses": {
                fmt: [loss.text(language) for loss in lost]
                for fmt, lost in selectors.export_losses(definition).items()
            },
            "others": version.instrument.versions.filter(
                pk__in=access.visible_versions(request.user).values("pk")
            ).exclude(pk=version.pk),
        },
    )


@login_required
def version_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = access.access_version_by_id(request.user, pk)
    fmt = request.GET.get("format", "yaml")
    try:
        result = formats.write(version.parsed, fmt, request.GET.get("language", current_language()))
    except formats.FormatError as exc:
        return HttpResponse(
            "\n".join(exc.lines(current_language())),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response = attachment(result.content, result.filename, result.media_type)
    response["X-Werkplaats-Losses"] = str(len(result.losses))
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_definitions(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require_importer(request.user)
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        organisations=access.licence_organisations(request.user),
    )
    context: dict[str, object] = {"form": form}
    status = 200
    if request.method == "POST" and not form.is_valid():
        status = 400
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        organisation = form.licence_organisation()
        if form.cleaned_data["for_organisation"] and organisation is None:
            form.add_error(
                "for_organisation",
                _("Only an organisation admin can import under the organisation's licence."),
            )
            return render(request, "instruments/import.html", context, status=400)
        try:
            outcome = services.definitions_import(
                content=upload.read(formats.MAX_BYTES + 1),
                filename=upload.name or "",
                fmt=form.cleaned_data["format"] or None,
                user=request.user,
                organisation=organisation,
                language=form.cleaned_data["language"],
            )
        except formats.FormatError as exc:
            # a damaged file: the reasons in the reader's language
            context["problems"] = [Problem("", line) for line in exc.lines(current_language())]
            status = 400
        except DefinitionError as exc:
            context["problems"] = exc.problems
            status = 400
        else:
            context["outcome"] = outcome
            context["rows"] = list(zip(outcome.versions, outcome.created, strict=True))
            context["loss_lines"] = [loss.text(current_language()) for loss in outcome.losses]
    return render(request, "instruments/import.html", context, status=status)
