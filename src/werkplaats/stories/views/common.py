"""What the stories pages share: refusal messages and form errors."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from werkplaats.stories.refi_qda import RefiQdaError


def refused(exc: RefiQdaError) -> str:
    """The translated reason a file was refused."""
    message = _(exc.message)
    return message % exc.params if exc.params else message


def form_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's refusal at the top of the form."""
    for message in exc.messages:
        form.add_error(None, message)
