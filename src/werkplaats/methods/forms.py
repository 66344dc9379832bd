"""Forms of the methods library and the fidelity checklist."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.validators import URLValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from werkplaats.casework.models import TargetGroup, WorkingPrinciple
from werkplaats.methods.models import EvidenceStatus, FidelityItem, FidelityMode, MethodVersion
from werkplaats.methods.services import MAX_FIDELITY_ITEMS, MethodContent
from werkplaats.partnership.models import Organisation, Role, StakeholderKind, User


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


class MethodForm(forms.Form):
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    target_groups = forms.ModelMultipleChoiceField(
        label=_("Target groups"),
        queryset=TargetGroup.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    goals = forms.CharField(
        label=_("Goals"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    principles = forms.ModelMultipleChoiceField(
        label=_("Working principles it relies on"),
        queryset=WorkingPrinciple.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    own_factors = forms.CharField(
        label=_("Working factors of its own (one per line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    fidelity_items = forms.CharField(
        label=_("Fidelity items: what must happen for the method to be delivered as intended"),
        help_text=_("One per line, at most %(n)d; the professional ticks them off.")
        % {"n": MAX_FIDELITY_ITEMS},
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )
    fidelity_mode = forms.ChoiceField(
        label=_("Fidelity is recorded"), choices=FidelityMode.choices, widget=forms.RadioSelect
    )
    evidence_status = forms.ChoiceField(
        label=_("Evidence status"),
        choices=EvidenceStatus.choices,
        help_text=_(
            "The recognition level in the Dutch database of effective social interventions, "
            "or 'in development'."
        ),
    )
    materials = forms.CharField(
        label=_("Materials"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    links = forms.CharField(
        label=_("Links (one web address per line)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations that use it"),
        queryset=Organisation.objects.filter(kind=StakeholderKind.PRACTICE),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, owners: QuerySet[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if owners is not None:
            self.fields["owners"] = forms.ModelMultipleChoiceField(
                label=_("Method owners (professionals who may change it)"),
                queryset=owners,
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )

    @staticmethod
    def initial_from(version: MethodVersion | None, name: str, number: int) -> dict[str, Any]:
        if version is None:
            return {"name": name, "version": number, "fidelity_mode": FidelityMode.CONTACT}
        return {
            "version": number,
            "name": name,
            "description": version.description,
            "target_groups": list(version.target_groups.all()),
            "goals": version.goals,
            "principles": list(version.principles.all()),
            "own_factors": version.own_factors,
            "fidelity_items": "\n".join(i.text for i in version.items.all()),
            "fidelity_mode": version.fidelity_mode,
            "evidence_status": version.evidence_status,
            "materials": version.materials,
            "links": version.links,
            "organisations": list(version.organisations.all()),
        }

    def clean_fidelity_items(self) -> str:
        value: str = self.cleaned_data["fidelity_items"]
        lines = _lines(value)
        if len(lines) > MAX_FIDELITY_ITEMS:
            raise forms.ValidationError(
                _("At most %(n)d fidelity items, so the checklist is answered in seconds.")
                % {"n": MAX_FIDELITY_ITEMS}
            )
        too_long = [line for line in lines if len(line) > 200]
        if too_long:
            raise forms.ValidationError(
                _("Keep each fidelity item under 200 characters: %(item)s")
                % {"item": too_long[0][:60] + "..."}
            )
        return value

    def clean_links(self) -> str:
        value: str = self.cleaned_data["links"]
        check = URLValidator(schemes=["http", "https"])
        for line in _lines(value):
            try:
                check(line)
            except forms.ValidationError as exc:
                raise forms.ValidationError(
                    _("'%(line)s' is not a web address (it starts with https://).")
                    % {"line": line[:80]}
                ) from exc
        return value

    def content(self) -> MethodContent:
        d = self.cleaned_data
        return MethodContent(
            name=d["name"],
            description=d["description"],
            goals=d["goals"],
            own_factors=d["own_factors"],
            fidelity_items=_lines(d["fidelity_items"]),
            fidelity_mode=d["fidelity_mode"],
            evidence_status=d["evidence_status"],
            materials=d["materials"],
            links=d["links"],
            target_groups=d["target_groups"],
            principles=d["principles"],
            organisations=d["organisations"],
        )


def owner_candidates() -> QuerySet[User]:
    return (
        User.objects.filter(memberships__role=Role.PROFESSIONAL, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class FidelityForm(forms.Form):
    """The checklist: one checkbox per item, and 'all done' for the usual case (one key)."""

    def __init__(
        self,
        data: Any = None,
        *,
        items: list[FidelityItem],
        prefix: str | None = "fidelity",
        **kwargs: Any,
    ) -> None:
        super().__init__(data, prefix=prefix, **kwargs)
        self.items = items
        self.fields["all"] = forms.BooleanField(
            label=_("Everything went as the method intends"), required=False
        )
        self.fields["done"] = forms.TypedMultipleChoiceField(
            label=_("Done in this contact"),
            choices=[(i.pk, i.text) for i in items],
            coerce=int,
            widget=forms.CheckboxSelectMultiple,
            required=False,
        )

    def done_ids(self) -> list[int]:
        if self.cleaned_data.get("all"):
            return [i.pk for i in self.items]
        return list(self.cleaned_data.get("done") or [])


class FidelityPeriodForm(FidelityForm):
    day = forms.DateField(
        label=_("A day in the period"), widget=forms.DateInput(attrs={"type": "date"})
    )
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, data: Any = None, *, items: list[FidelityItem], **kwargs: Any) -> None:
        super().__init__(data, items=items, prefix=None, **kwargs)
        self.fields["done"].label = _("Done in this period")
        self.order_fields(["day", "all", "done", "version"])

    def clean_day(self) -> dt.date:
        day: dt.date = self.cleaned_data["day"]
        if day > timezone.localdate():
            raise forms.ValidationError(
                _("This date lies in the future; choose a day in the period you look back on.")
            )
        return day
