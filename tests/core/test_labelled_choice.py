"""A model choice field labels its options with a function, and each form gets its own copy."""

from __future__ import annotations

import pytest
from django import forms

from werkplaats.core.forms import LabelledChoiceField, model_choice
from werkplaats.partnership.models import User
from werkplaats.stories.forms.synthesis import InterpretationForm, InviteForm

pytestmark = pytest.mark.django_db


class _PersonForm(forms.Form):
    person = LabelledChoiceField(User.objects.none(), label_of=lambda u: f"<{u.username}>")


def _labels(form: forms.BaseForm, name: str) -> list[str]:
    """The options as the page shows them (the empty choice left out)."""
    return [w.choice_label for w in form[name].subwidgets if w.data["value"] != ""]


def test_options_read_the_label_function_and_the_queryset_is_per_form(world) -> None:
    one, other = _PersonForm(), _PersonForm()
    model_choice(one, "person").queryset = User.objects.filter(username="rita")
    assert _labels(one, "person") == ["<rita>"]
    assert _labels(other, "person") == []  # the class's field is not changed
    bound = _PersonForm({"person": world.rita.pk})
    model_choice(bound, "person").queryset = User.objects.filter(username="rita")
    assert bound.is_valid() and bound.cleaned_data["person"] == world.rita


def test_guests_are_offered_by_name_and_findings_by_their_statement(world) -> None:
    invite = InviteForm(session=world.dialogue_a)
    offered = _labels(invite, "guest")
    assert (world.otto.get_full_name() or world.otto.username) in offered  # an educator
    assert world.eva.get_full_name() not in offered  # invited already
    interpretation = InterpretationForm(session=world.dialogue_a)
    statements = [f.statement[:80] for f in world.dialogue_a.findings.all()]
    assert _labels(interpretation, "finding") == statements
