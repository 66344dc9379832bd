"""Optimistic concurrency: a save is refused when someone else saved in between."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from werkplaats.core.models import VersionedModel


class ConcurrentEditError(ValidationError):
    """Someone else saved this record after it was opened."""


def save_versioned(instance: VersionedModel, expected_version: int, fields: list[str]) -> None:
    """Write ``fields`` of ``instance`` only if the stored version is still ``expected_version``.

    The check and the write are one UPDATE statement, so two saves racing each other
    cannot both pass.
    """
    model = type(instance)
    values: dict[str, Any] = {name: getattr(instance, name) for name in fields}
    updated = model._default_manager.filter(pk=instance.pk, version=expected_version).update(
        version=F("version") + 1, **values
    )
    if updated != 1:
        raise ConcurrentEditError(
            _(
                "Someone else saved this %(thing)s while you were editing it. "
                "Your changes were not saved: reload the page to see the latest "
                "version, then make your changes again."
            )
            % {"thing": model._meta.verbose_name},
            code="concurrent_edit",
        )
    instance.version = expected_version + 1


def stale_form_response(
    request: HttpRequest,
    form: BaseForm,
    exc: ConcurrentEditError,
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """A save refused because the object changed since the form was read: the same page
    again, the refusal on top of the form, with 409 Conflict (never a silent overwrite)."""
    form.add_error(None, exc)
    return render(request, template, context, status=409)
