from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from werkplaats.core.forms import choice, model_choice
from werkplaats.insight.models import CmoConfiguration
from werkplaats.programme.models import Study
from werkplaats.stories.models import Code

if TYPE_CHECKING:  # Django's ModelForm takes its model as a type argument only in the stubs
    CmoModelForm = forms.ModelForm[CmoConfiguration]
else:
    CmoModelForm = forms.ModelForm


class CmoForm(CmoModelForm):
    class Meta:
        model = CmoConfiguration
        fields = [
            "context",
            "mechanism",
            "outcome",
            "term",
            "supporting_code",
            "contradicting_code",
            "status",
        ]
        widgets = {
            f: forms.Textarea(attrs={"rows": 2}) for f in ("context", "mechanism", "outcome")
        }

    def __init__(self, *args: Any, study: Study, terms: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        codes = Code.objects.filter(codebook__studies=study).order_by("name")
        model_choice(self, "supporting_code").queryset = codes
        model_choice(self, "contradicting_code").queryset = codes
        self.fields["term"].widget = forms.Select(choices=[("", "—")] + [(t, t) for t in terms])


NONE = ""


class PlanForm(forms.Form):
    """The analysis plan in the browser: only what the study's data hold is offered.

    A variable no client of the study has a value for, or a random effect with fewer
    than five levels in the data, is not offered; the page lists it with the reason.
    """

    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    outcome = forms.ChoiceField(label=_("outcome (instrument · scale · informant)"))
    client = forms.MultipleChoiceField(
        label=_("for whom (client)"), required=False, widget=forms.CheckboxSelectMultiple
    )
    process = forms.MultipleChoiceField(
        label=_("with and by whom, how (process)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    context = forms.MultipleChoiceField(
        label=_("context (organisation, team, municipality)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    random = forms.MultipleChoiceField(
        label=_("random effects (besides time | client)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    centring = forms.ChoiceField(
        label=_("centring"),
        choices=[
            ("grand_mean", _("at the mean of the analysed data")),
            ("group_mean", _("at the mean of the group (first random effect)")),
            ("none", _("none")),
        ],
        widget=forms.RadioSelect,
    )
    exact = forms.MultipleChoiceField(
        label=_("keep exact (not coarsened when another study shares clients)"),
        help_text=_(
            "Only for a value the analysis cannot do without exactly: the study's data "
            "are then linkable on it with another study's, and the report says so for the "
            "data steward."
        ),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    PAIRS = 3

    def __init__(
        self,
        *args: Any,
        outcomes: list[tuple[str, str]],
        variables: dict[str, list[tuple[str, str]]],
        groups: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choice(self, "outcome").choices = outcomes
        for level in ("client", "process", "context"):
            choice(self, level).choices = variables[level]
        choice(self, "random").choices = groups
        choice(self, "exact").choices = [c for lv in variables.values() for c in lv]
        everything = [(NONE, "—")] + [c for lv in variables.values() for c in lv]
        for i in range(self.PAIRS):
            for side in ("a", "b"):
                self.fields[f"interaction_{i}_{side}"] = forms.ChoiceField(
                    label=_("interaction %(n)s") % {"n": i + 1} if side == "a" else "×",
                    choices=everything,
                    required=False,
                )
        for i in range(2):
            self.fields[f"mediator_{i}_x"] = forms.ChoiceField(
                label=_("mediation %(n)s: exposure") % {"n": i + 1},
                choices=everything,
                required=False,
            )
            self.fields[f"mediator_{i}_m"] = forms.ChoiceField(
                label=_("mediator"), choices=everything, required=False
            )

    def interaction_fields(self) -> list[tuple[Any, Any]]:
        return [(self[f"interaction_{i}_a"], self[f"interaction_{i}_b"]) for i in range(self.PAIRS)]

    def mediator_fields(self) -> list[tuple[Any, Any]]:
        return [(self[f"mediator_{i}_x"], self[f"mediator_{i}_m"]) for i in range(2)]

    def plan_data(self) -> dict[str, Any]:
        """The cleaned form as a werkplaats.plan/1 document."""
        d = self.cleaned_data
        outcome: Any = d["outcome"]
        if outcome != "gas_t":
            instrument, scale, informant = outcome.split("|")
            outcome = {"instrument": instrument, "scale": scale, "informant": informant}
        pairs = [
            [d[f"interaction_{i}_a"], d[f"interaction_{i}_b"]]
            for i in range(self.PAIRS)
            if d.get(f"interaction_{i}_a") and d.get(f"interaction_{i}_b")
        ]
        mediators = [
            [d[f"mediator_{i}_x"], d[f"mediator_{i}_m"]]
            for i in range(2)
            if d.get(f"mediator_{i}_x") and d.get(f"mediator_{i}_m")
        ]
        return {
            "format": "werkplaats.plan/1",
            "outcome": outcome,
            "moderators": {lv: list(d[lv]) for lv in ("client", "process", "context")},
            "interactions": pairs,
            "random": list(d["random"]),
            "centring": d["centring"],
            "mediators": mediators,
            **({"exact": list(d["exact"])} if d.get("exact") else {}),
        }


def plan_initial(plan: Any, version: int) -> dict[str, Any]:
    """The form's initial values from a stored plan."""
    o = plan.outcome
    initial: dict[str, Any] = {
        "base_version": version,
        "outcome": "gas_t" if o.is_gas else f"{o.instrument}|{o.scale}|{o.informant}",
        "client": list(plan.client),
        "process": list(plan.process),
        "context": list(plan.context),
        "random": list(plan.random),
        "centring": plan.centring,
        "exact": list(plan.exact),
    }
    for i, (a, b) in enumerate(plan.interactions[: PlanForm.PAIRS]):
        initial[f"interaction_{i}_a"], initial[f"interaction_{i}_b"] = a, b
    for i, (x, m) in enumerate(plan.mediators[:2]):
        initial[f"mediator_{i}_x"], initial[f"mediator_{i}_m"] = x, m
    return initial


class MeasuresForm(forms.Form):
    """The outcome measures an organisation's feedback follows."""

    measures = forms.MultipleChoiceField(
        label=_("outcome measures (instrument · scale · informant)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, options: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice(self, "measures").choices = options
