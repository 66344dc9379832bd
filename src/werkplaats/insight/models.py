"""Realist synthesis (context–mechanism–outcome configurations) and the log of reports."""

from __future__ import annotations

from typing import Any

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
    plan = models.ForeignKey(
        "insight.AnalysisPlan",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="runs",
    )
    plan_locked = models.BooleanField(
        _("plan pre-registered before the data were read"), default=False
    )
    data_date = models.DateTimeField(_("data read at"), null=True, blank=True)
    html = models.TextField(_("report body"), blank=True)
    evidence = models.JSONField(_("estimates for CMO configurations"), default=dict, blank=True)
    # per target group: the fitted growth model's mean growth per year (insight.joint)
    model_groups = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"report of study {self.study_id} at {self.created_at:%Y-%m-%d %H:%M}"


class AnalysisPlan(models.Model):
    """One version of a study's analysis plan (``werkplaats.plan/1``); never changed.

    A new plan is a new version. Locking pre-registers the current version: its content
    hash and the time are fixed, and no further version can be stored for the study.
    """

    study = models.ForeignKey(
        "programme.Study", on_delete=models.CASCADE, related_name="analysis_plans"
    )
    version = models.PositiveIntegerField(_("version"))
    content = models.JSONField(_("plan"))
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    locked_at = models.DateTimeField(_("pre-registered at"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("analysis plan")
        verbose_name_plural = _("analysis plans")
        ordering = ["study", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["study", "version"], name="analysisplan_unique_version")
        ]

    def __str__(self) -> str:
        return f"plan {self.version} of study {self.study_id}"

    @property
    def plan(self) -> Any:
        from werkplaats.insight.plan import parse_plan

        return parse_plan(self.content)


class OutcomeMeasure(models.Model):
    """An outcome an organisation chose for its feedback pages: instrument, scale, informant.

    Team, organisation and municipality feedback show change on these measures. An
    organisation that chose none is shown its most answered questionnaire's main scale.
    """

    organisation = models.ForeignKey(
        "partnership.Organisation", on_delete=models.CASCADE, related_name="outcome_measures"
    )
    instrument = models.SlugField(_("instrument"), max_length=63)
    scale = models.SlugField(_("scale"), max_length=63)
    informant = models.CharField(_("informant"), max_length=20, default="client")
    position = models.PositiveSmallIntegerField(default=0)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("outcome measure")
        verbose_name_plural = _("outcome measures")
        ordering = ["organisation", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "instrument", "scale", "informant"],
                name="outcomemeasure_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} · {self.scale} · {self.informant}"


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


class StoredScore(models.Model):
    """One scale score of one completed assessment, kept so that feedback pages and reports
    read scores instead of scoring every assessment's answers on every request.

    Filled when scores are first read (:func:`werkplaats.insight.outcomes.store_scores`)
    and by ``werkplaats manage store_scores``. ``completed_at`` is the assessment's
    completion time when it was scored: an assessment completed again (a bulk import that
    replaces its answers) no longer matches and is scored anew. ``value`` is empty where
    the scale cannot be scored (too few answers, or not on the assessment's version).
    """

    assessment = models.ForeignKey(
        "measurements.Assessment", on_delete=models.CASCADE, related_name="+"
    )
    scale = models.CharField(max_length=100)
    value = models.FloatField(null=True, blank=True)
    completed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "scale"], name="storedscore_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scale} of assessment {self.assessment_id}: {self.value}"


class ModelCase(models.Model):
    """One client's line of fitted values in a report run's growth model: intercept and
    growth per year (``insight.joint``), for the case page beside the client's stories."""

    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="cases")
    client = models.CharField(max_length=40)  # the study's key for the client
    intercept = models.FloatField()
    slope = models.FloatField()
    measurements = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "client"], name="modelcase_unique")]

    def __str__(self) -> str:
        return f"{self.client} in run {self.run_id}"

    def at(self, years: float) -> float:
        return self.intercept + self.slope * years
