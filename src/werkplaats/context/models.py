"""Context as measurements: a context instrument answered about a team or an organisation
by its members and managers, per year; municipality characteristics per year.

Both feed the analysis-plan catalogue as ``team_<scale>``, ``organisation_<scale>`` and
``municipality_<variable>`` at the value that held during each trajectory
(:mod:`werkplaats.context.selectors`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from werkplaats.core.models import VersionedModel
from werkplaats.instruments.models import Instrument, InstrumentVersion
from werkplaats.partnership.models import Municipality, Organisation, Team


class ContextInformant(models.TextChoices):
    TEAM_MEMBER = "team_member", _("team member")
    MANAGER = "manager", _("manager")


class ContextResponse(VersionedModel):
    """One respondent's answers to a context instrument about one team or organisation,
    for one year; answered again, it is changed (a stale save is refused)."""

    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="context_responses"
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="context_responses",
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    instrument_version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="+"
    )
    informant = models.CharField(_("informant"), max_length=20, choices=ContextInformant.choices)
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="context_responses"
    )
    answers = models.JSONField(_("answers"), default=dict)
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("context response")
        ordering = ["year", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=False, organisation__isnull=True)
                | models.Q(team__isnull=True, organisation__isnull=False),
                name="contextresponse_team_or_organisation",
            ),
            models.UniqueConstraint(
                fields=["team", "year", "instrument", "respondent"],
                condition=models.Q(team__isnull=False),
                name="contextresponse_one_per_team_year",
            ),
            models.UniqueConstraint(
                fields=["organisation", "year", "instrument", "respondent"],
                condition=models.Q(organisation__isnull=False),
                name="contextresponse_one_per_organisation_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} about {self.team or self.organisation} in {self.year}"


class MunicipalityYear(VersionedModel):
    """A municipality's characteristics in one year, entered by its policy makers."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    strengths_based_policy = models.PositiveSmallIntegerField(
        _("strengths-based policy (1-5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("How far the municipality's social policy is strengths-based."),
    )
    budget_per_inhabitant = models.DecimalField(
        _("social-domain budget per inhabitant (euro)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    population = models.PositiveIntegerField(_("inhabitants"), null=True, blank=True)
    share_over_75 = models.DecimalField(
        _("inhabitants aged 75 or over (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("municipality characteristics")
        ordering = ["municipality__name", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "year"], name="municipalityyear_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(strengths_based_policy__isnull=True)
                | models.Q(strengths_based_policy__gte=1, strengths_based_policy__lte=5),
                name="municipalityyear_policy_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.year}"


# The characteristics that become catalogue variables ``municipality_<name>``.
MUNICIPALITY_VARIABLES = [
    "strengths_based_policy",
    "budget_per_inhabitant",
    "population",
    "share_over_75",
]
