"""Realist synthesis (context–mechanism–outcome configurations) and the log of reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CmoConfiguration(models.Model):
    """A programme-theory statement: in this context, this mechanism leads to this outcome.

    ``term`` names the estimate that tests it (a growth-model term such as
    ``time:net0_c:sb_c`` or a mediation path such as
    ``indirect:has_method->alliance_trajectory``); the two codes name the story codes
    whose fragments support or contradict it.
    """

    class Status(models.TextChoices):
        INITIAL = "initial", _("initial")
        SUPPORTED = "supported", _("supported")
        REFINED = "refined", _("refined")
        REFUTED = "refuted", _("refuted")

    study = models.ForeignKey(
        "programme.Study", on_delete=models.CASCADE, related_name="cmo_configurations"
    )
    context = models.TextField(_("context"))
    mechanism = models.TextField(_("mechanism"))
    outcome = models.TextField(_("outcome"))
    term = models.CharField(_("estimate that tests it"), max_length=120, blank=True)
    supporting_code = models.ForeignKey(
        "stories.Code",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("story code that supports it"),
    )
    contradicting_code = models.ForeignKey(
        "stories.Code",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("story code that contradicts it"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.INITIAL
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("CMO configuration")
        verbose_name_plural = _("CMO configurations")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.context[:30]} → {self.mechanism[:30]} → {self.outcome[:30]}"


class ReportRun(models.Model):
    """A study report that was produced: when, by whom, on how many clients, and where."""

    study = models.ForeignKey("programme.Study", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    clients = models.PositiveIntegerField(default=0)
    measurements = models.PositiveIntegerField(default=0)
    data_sha256 = models.CharField(max_length=64, blank=True)
    seconds = models.FloatField(default=0)
    path = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"report of study {self.study_id} at {self.created_at:%Y-%m-%d %H:%M}"


class HistoryKey(models.Model):
    """A keyed hash of an organisation's own reference to a client or trajectory it imported.

    The reference itself is not stored; the hash (HMAC with ``WERKPLAATS_PSEUDONYM_KEY``)
    lets a second import of the same rows be refused, or update what the first wrote.
    """

    class Kind(models.TextChoices):
        CLIENT = "client", _("client")
        TRAJECTORY = "trajectory", _("trajectory")

    organisation = models.ForeignKey(
        "partnership.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    digest = models.CharField(max_length=64)
    client = models.ForeignKey(
        "casework.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    trajectory = models.ForeignKey(
        "casework.Trajectory", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    imported_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "digest"], name="historykey_unique"
            ),
            models.CheckConstraint(
                condition=(models.Q(kind="client") & models.Q(client__isnull=False))
                | (models.Q(kind="trajectory") & models.Q(trajectory__isnull=False)),
                name="historykey_points_at_its_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.digest[:8]}"
