"""Dilemmas beyond their team: an anonymised copy made by someone who may read the
original, proposed for a dialogue session or marked as teaching material."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from werkplaats.casework.models import Dilemma
from werkplaats.core.models import VersionedModel
from werkplaats.stories.models.dialogue import DialogueSession


class SharedDilemma(VersionedModel):
    """A dilemma anonymised for use beyond its team.

    Made and reviewed by the trajectory's lead professional or the team's manager — the
    people who may read the original — never by the researcher or educator who gets it.
    It carries the kind of tension, the month, whether a deliberation was held and the
    anonymised weighing; never the client, the professional, the date or "what happened".
    """

    dilemma = models.OneToOneField(Dilemma, on_delete=models.CASCADE, related_name="shared")
    tension = models.CharField(_("tension"), max_length=30, choices=Dilemma.Tension.choices)
    month = models.CharField(_("month"), max_length=7)
    deliberated = models.BooleanField(_("moral case deliberation held"), default=False)
    values_at_stake = models.TextField(_("values at stake"))
    options_weighed = models.TextField(_("options weighed"))
    choice = models.TextField(_("choice made"))
    reasons = models.TextField(_("reasons"))
    teaching = models.BooleanField(_("teaching material"), default=False)
    # Who marked it as teaching material: its maker, or a researcher of a dialogue
    # session it is on the table of.
    teaching_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"))

    class Meta:
        verbose_name = _("anonymised dilemma")
        verbose_name_plural = _("anonymised dilemmas")
        ordering = ["tension", "month", "pk"]

    def __str__(self) -> str:
        return f"{self.month} {self.tension}"


class SessionDilemma(models.Model):
    """An anonymised dilemma proposed for a dialogue session; the session's researcher
    links it (then everyone who sees the session sees it) or declines it."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        LINKED = "linked", _("linked")
        DECLINED = "declined", _("declined")

    session = models.ForeignKey(
        DialogueSession, on_delete=models.CASCADE, related_name="dilemma_links"
    )
    shared = models.ForeignKey(
        SharedDilemma, on_delete=models.CASCADE, related_name="session_links"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["proposed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "shared"], name="session_dilemma_unique"),
            models.CheckConstraint(
                condition=models.Q(status="proposed")
                | models.Q(decided_by__isnull=False, decided_at__isnull=False),
                name="session_dilemma_decided_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.shared_id} ({self.status})"
