"""The methods library: every version of a method, its fidelity items, who owns it, and
the fidelity professionals record per contact or per period.

A method's identity (name, current version number) is ``casework.Method``; each save in
the library writes a new immutable ``MethodVersion`` whose ``number`` is the method's
version after that save, so a trajectory's ``method_version`` names exactly what it
followed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from werkplaats.casework.models import Contact, Method, TargetGroup, Trajectory, WorkingPrinciple
from werkplaats.core.models import VersionedModel
from werkplaats.partnership.models import Organisation


class EvidenceStatus(models.TextChoices):
    """Recognition levels of the Dutch database of effective social interventions
    (Databank Effectieve Sociale Interventies), plus 'in development' and 'not assessed'."""

    IN_DEVELOPMENT = "in_development", _("in development")
    NOT_ASSESSED = "not_assessed", _("not assessed")
    WELL_DESCRIBED = "well_described", _("well described")
    WELL_FOUNDED = "well_founded", _("well founded")
    EFFECTIVE_FIRST = "effective_first", _("effective according to first indications")
    EFFECTIVE_GOOD = "effective_good", _("effective according to good indications")
    EFFECTIVE_STRONG = "effective_strong", _("effective according to strong indications")


class FidelityMode(models.TextChoices):
    CONTACT = "contact", _("per contact, in the contact form")
    MONTH = "month", _("per month")
    QUARTER = "quarter", _("per quarter")


class MethodVersion(models.Model):
    """One saved version of a method; never changed after it is written."""

    method = models.ForeignKey(Method, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    saved_at = models.DateTimeField(_("saved at"), auto_now_add=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.TextField(_("description"), blank=True)
    goals = models.TextField(_("goals"), blank=True)
    target_groups = models.ManyToManyField(
        TargetGroup, blank=True, related_name="+", verbose_name=_("target groups")
    )
    principles = models.ManyToManyField(
        WorkingPrinciple,
        blank=True,
        related_name="+",
        verbose_name=_("working principles it relies on"),
    )
    own_factors = models.TextField(_("working factors of its own"), blank=True)
    fidelity_mode = models.CharField(
        _("fidelity is recorded"),
        max_length=10,
        choices=FidelityMode.choices,
        default=FidelityMode.CONTACT,
    )
    evidence_status = models.CharField(
        _("evidence status"),
        max_length=20,
        choices=EvidenceStatus.choices,
        default=EvidenceStatus.IN_DEVELOPMENT,
    )
    materials = models.TextField(_("materials"), blank=True)
    links = models.TextField(_("links"), blank=True)
    organisations = models.ManyToManyField(
        Organisation, blank=True, related_name="+", verbose_name=_("organisations that use it")
    )

    class Meta:
        verbose_name = _("method version")
        verbose_name_plural = _("method versions")
        ordering = ["method__name", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["method", "number"], name="methodversion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.method} v{self.number}"

    def own_factor_list(self) -> list[str]:
        return [line.strip() for line in self.own_factors.splitlines() if line.strip()]

    def link_list(self) -> list[str]:
        return [line.strip() for line in self.links.splitlines() if line.strip()]


class FidelityItem(models.Model):
    """One line of a version's fidelity checklist: what must happen for the method to be
    delivered as intended."""

    version = models.ForeignKey(MethodVersion, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("fidelity item"), max_length=200)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="fidelityitem_unique")
        ]

    def __str__(self) -> str:
        return self.text


class MethodOwner(models.Model):
    """A professional who develops this method and may describe and change it."""

    method = models.ForeignKey(Method, on_delete=models.CASCADE, related_name="owners")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owned_methods"
    )

    class Meta:
        verbose_name = _("method owner")
        constraints = [
            models.UniqueConstraint(fields=["method", "user"], name="methodowner_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} owns {self.method}"


class FidelityRecord(VersionedModel):
    """The checklist answered once: for one contact, or for one period of a trajectory."""

    trajectory = models.ForeignKey(
        Trajectory, on_delete=models.CASCADE, related_name="fidelity_records"
    )
    method_version = models.ForeignKey(
        MethodVersion, on_delete=models.PROTECT, related_name="records"
    )
    contact = models.OneToOneField(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="fidelity"
    )
    period_start = models.DateField(_("period starting"), null=True, blank=True)
    date = models.DateField(_("date"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("fidelity record")
        ordering = ["date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=True, period_start__isnull=False)
                | models.Q(contact__isnull=False, period_start__isnull=True),
                name="fidelityrecord_contact_or_period",
            ),
            models.UniqueConstraint(
                fields=["trajectory", "period_start"],
                condition=models.Q(period_start__isnull=False),
                name="fidelityrecord_one_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"fidelity of {self.trajectory_id} on {self.date}"


class FidelityAnswer(models.Model):
    record = models.ForeignKey(FidelityRecord, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(FidelityItem, on_delete=models.PROTECT, related_name="+")
    done = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "item"], name="fidelityanswer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.done}"
