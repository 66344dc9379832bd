"""Optimistic concurrency: a save is refused when someone else saved in between."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.forms import BaseForm
from django.utils.translation import gettext as _

from werkplaats.core.forms import add_refusal
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


def save_form(form: BaseForm, save: Callable[[], object]) -> int | None:
    """Run the save of a valid form (a service call that names the version the form read).

    None when it went through. Otherwise the refusal is on the form and the result is the
    status of the page that shows the form again: 409 Conflict when someone else saved the
    object since the form was read (never a silent overwrite), 400 when the service
    refused the values (on the field it names, else on top of the form).
    """
    try:
        save()
    except ConcurrentEditError as exc:
        form.add_error(None, exc)
        return 409
    except ValidationError as exc:
        add_refusal(form, exc)
        return 400
    return None
