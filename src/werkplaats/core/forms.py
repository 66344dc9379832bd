"""What forms share: a service's refusal shown on the form; a form's choice fields, typed, to
narrow their choices per request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def add_refusal(form: forms.BaseForm, exc: ValidationError) -> None:
    """A service's refusal on the form: on the field it names when the form has that
    field, else on top of the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The form's field ``name``, a (multiple) model choice field, whose queryset a form
    narrows to what this user may pick."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{name} is not a model choice field")
    return field


def choice(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's field ``name``, a choice field, whose choices a form sets per request."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{name} is not a choice field")
    return field


class LabelledChoiceField(forms.ModelChoiceField[M]):
    """A model choice field whose options read ``label_of(obj)`` rather than ``str(obj)``."""

    def __init__(
        self, queryset: QuerySet[M], *, label_of: Callable[[M], str], **kwargs: Any
    ) -> None:
        super().__init__(queryset, **kwargs)
        self.label_of = label_of

    def label_from_instance(self, obj: M) -> str:
        return self.label_of(obj)
