"""Casework: pseudonymous clients, trajectories, goals, contacts, dilemmas and networks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from werkplaats.core.crypto import EncryptedTextField
from werkplaats.core.models import BilingualNamed, VersionedModel
from werkplaats.partnership.models import Neighbourhood, Team


class Client(models.Model):
    """A citizen in support, known by a pseudonym; identifying details live apart."""

    pseudonym = models.CharField(_("pseudonym"), max_length=12, unique=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    language = models.CharField(_("language at home"), max_length=30, blank=True)
    neighbourhood = models.ForeignKey(
        Neighbourhood, null=True, blank=True, on_delete=models.PROTECT, related_name="clients"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="client_record",
    )

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["pseudonym"]

    def __str__(self) -> str:
        return self.pseudonym


class ClientIdentity(models.Model):
    """Directly identifying details, encrypted at rest and shown only where access allows."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="identity")
    name = EncryptedTextField(_("name"))
    contact = EncryptedTextField(_("contact details"), blank=True)

    class Meta:
        verbose_name = _("identifying details")
        verbose_name_plural = _("identifying details")

    def __str__(self) -> str:
        return f"identity of {self.client_id}"


class TargetGroup(BilingualNamed):
    """An open list; the seed names multi-problem households and frail elderly."""

    code = models.SlugField(unique=True)

    class Meta:
        ordering = ["code"]


class Method(VersionedModel):
    """A method or intervention: its name and the number of its current version.

    The methods library (``werkplaats.methods``) keeps every version's description,
    working factors and fidelity items as an immutable ``MethodVersion`` whose number is
    the ``version`` this row had when it was saved; a trajectory records the number it
    followed (``Trajectory.method_version``).
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Trajectory(VersionedModel):
    """A support trajectory (traject) of one client, led by one professional."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        PAUSED = "paused", _("paused")
        CLOSED = "closed", _("closed")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="trajectories")
    lead_professional = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="led_trajectories",
        verbose_name=_("lead professional"),
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="trajectories")
    target_groups = models.ManyToManyField(
        TargetGroup, blank=True, related_name="trajectories", verbose_name=_("target groups")
    )
    method = models.ForeignKey(
        Method, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("method")
    )
    method_version = models.PositiveIntegerField(
        _("method version followed"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The version of the method when it was chosen for this trajectory."),
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    request_for_help = models.TextField(_("request for help, in the client's words"), blank=True)

    class Meta:
        verbose_name = _("trajectory")
        verbose_name_plural = _("trajectories")
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="trajectory_end_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | models.Q(end__isnull=False),
                name="trajectory_closed_has_end",
            ),
        ]
        indexes = [models.Index(fields=["lead_professional", "status"])]

    def __str__(self) -> str:
        return f"{self.client} ({self.start:%Y-%m-%d})"


GAS_LEVELS = [(-2, "-2"), (-1, "-1"), (0, "0"), (1, "+1"), (2, "+2")]


class Goal(VersionedModel):
    """The client's goal in the client's own words, with goal attainment scaling levels."""

    trajectory = models.ForeignKey(Trajectory, on_delete=models.CASCADE, related_name="goals")
    text = models.TextField(_("goal, in the client's own words"))
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    level_minus2 = models.CharField(_("-2: much less than expected"), max_length=300)
    level_minus1 = models.CharField(_("-1: somewhat less than expected"), max_length=300)
    level_0 = models.CharField(_("0: the expected outcome"), max_length=300)
    level_plus1 = models.CharField(_("+1: somewhat more than expected"), max_length=300)
    level_plus2 = models.CharField(_("+2: much more than expected"), max_length=300)
    baseline = models.SmallIntegerField(_("level at the start"), choices=GAS_LEVELS, default=-1)
    created = models.DateField(_("set on"))

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["created", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(baseline__gte=-2, baseline__lte=2), name="goal_baseline_range"
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=1, weight__lte=10), name="goal_weight_range"
            ),
        ]

    def level_descriptions(self) -> list[tuple[int, str]]:
        return [
            (-2, self.level_minus2),
            (-1, self.level_minus1),
            (0, self.level_0),
            (1, self.level_plus1),
            (2, self.level_plus2),
        ]

    def latest_score(self) -> GoalScore | None:
        return self.scores.order_by("-date", "-pk").first()

    def __str__(self) -> str:
        return self.text[:60]


class GoalScore(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="scores")
    date = models.DateField(_("date"))
    level = models.SmallIntegerField(_("level reached"), choices=GAS_LEVELS)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=-2, level__lte=2), name="goalscore_level_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.level:+d}"


class WorkingPrinciple(BilingualNamed):
    """The seed's working principles (2.2): facilitator, generalist, bridge-builder, ..."""

    code = models.SlugField(unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]


class ActorKind(BilingualNamed):
    """Who was present besides the professional: client, informal network, sectors."""

    code = models.SlugField(unique=True)
    formal = models.BooleanField()
    sector = models.CharField(max_length=30, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]


ALLIANCE_ITEMS = [
    ("alliance_heard", _("I felt heard.")),
    ("alliance_my_goals", _("We worked on what matters to me.")),
    ("alliance_trust", _("I trust my social worker.")),
    ("alliance_next", _("I know what happens next.")),
]


def _alliance_field(label: Any) -> models.PositiveSmallIntegerField[int | None, int | None]:
    return models.PositiveSmallIntegerField(
        label, null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )


class Contact(models.Model):
    """A contact moment (contactmoment): light registration, under a minute."""

    class Mode(models.TextChoices):
        HOME_VISIT = "home_visit", _("home visit")
        OFFICE = "office", _("at the office")
        PHONE = "phone", _("phone")
        VIDEO = "video", _("video")
        OUTREACH = "outreach", _("outreach in the street")
        GROUP = "group", _("group")

    trajectory = models.ForeignKey(Trajectory, on_delete=models.CASCADE, related_name="contacts")
    date = models.DateField(_("date"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices)
    actors = models.ManyToManyField(
        ActorKind, blank=True, related_name="contacts", verbose_name=_("present")
    )
    principles = models.ManyToManyField(
        WorkingPrinciple, blank=True, related_name="contacts", verbose_name=_("working principles")
    )
    alliance_heard = _alliance_field(ALLIANCE_ITEMS[0][1])
    alliance_my_goals = _alliance_field(ALLIANCE_ITEMS[1][1])
    alliance_trust = _alliance_field(ALLIANCE_ITEMS[2][1])
    alliance_next = _alliance_field(ALLIANCE_ITEMS[3][1])
    note = models.CharField(_("short note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=1, duration_minutes__lte=600),
                name="contact_duration_range",
            ),
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{name}__isnull": True})
                    | models.Q(**{f"{name}__gte": 1, f"{name}__lte": 5}),
                    name=f"contact_{name}_range",
                )
                for name, _label in ALLIANCE_ITEMS
            ],
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.mode}"

    def alliance_mean(self) -> float | None:
        values = [getattr(self, name) for name, _label in ALLIANCE_ITEMS]
        answered = [v for v in values if v is not None]
        return sum(answered) / len(answered) if answered else None


class Dilemma(models.Model):
    """A tension met in practice (spanningsveld) and how it was weighed."""

    class Tension(models.TextChoices):
        AUTONOMY_PROTECTION = "autonomy_protection", _("autonomy vs protection")
        SUPPORT_CONTROL = "support_control", _("support vs control")
        CONFIDENTIALITY_SAFETY = "confidentiality_safety", _("confidentiality vs safety")
        WISH_POLICY = "wish_policy", _("client's wish vs policy")
        OTHER = "other", _("other")

    trajectory = models.ForeignKey(Trajectory, on_delete=models.CASCADE, related_name="dilemmas")
    date = models.DateField(_("date"))
    tension = models.CharField(_("tension"), max_length=30, choices=Tension.choices)
    description = models.TextField(_("what happened"))
    values_at_stake = models.TextField(_("values at stake"))
    options_weighed = models.TextField(_("options weighed"))
    choice = models.TextField(_("choice made"))
    reasons = models.TextField(_("reasons"))
    moral_case_deliberation = models.BooleanField(_("moral case deliberation held"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("dilemma")
        verbose_name_plural = _("dilemmas")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.date} {self.tension}"


class NetworkSnapshot(models.Model):
    """The client's personal network (ecogram) as it stood at one wave."""

    trajectory = models.ForeignKey(
        Trajectory, on_delete=models.CASCADE, related_name="network_snapshots"
    )
    date = models.DateField(_("date"))

    class Meta:
        verbose_name = _("network snapshot")
        ordering = ["date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["trajectory", "date"], name="snapshot_unique_date")
        ]

    def __str__(self) -> str:
        return f"{self.trajectory_id} @ {self.date}"


SUPPORT_KINDS = [
    ("practical", _("practical help")),
    ("company", _("company")),
    ("advice", _("advice and information")),
    ("emotional", _("emotional support")),
]


class NetworkMember(models.Model):
    class Relation(models.TextChoices):
        FAMILY = "family", _("family")
        FRIEND = "friend", _("friend")
        NEIGHBOUR = "neighbour", _("neighbour")
        ACQUAINTANCE = "acquaintance", _("acquaintance")
        VOLUNTEER = "volunteer", _("volunteer")
        PROFESSIONAL = "professional", _("professional")

    class Closeness(models.IntegerChoices):
        CLOSE = 1, _("very close")
        MIDDLE = 2, _("close")
        OUTER = 3, _("further away")

    snapshot = models.ForeignKey(NetworkSnapshot, on_delete=models.CASCADE, related_name="members")
    label = models.CharField(_("who (a first name or a description)"), max_length=60)
    relation = models.CharField(_("relation"), max_length=15, choices=Relation.choices)
    formal = models.BooleanField(_("formal (paid or professional)"), default=False)
    closeness = models.PositiveSmallIntegerField(
        _("closeness"), choices=Closeness.choices, default=Closeness.MIDDLE
    )
    support_given = models.JSONField(_("support to the client"), default=list, blank=True)
    support_received = models.JSONField(_("support from the client"), default=list, blank=True)

    class Meta:
        ordering = ["closeness", "label"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closeness__gte=1, closeness__lte=3),
                name="networkmember_closeness_range",
            )
        ]

    def __str__(self) -> str:
        return self.label

    def support_labels(self) -> list[str]:
        """The kinds of support this person gives, in words."""
        names = dict(SUPPORT_KINDS)
        return [str(names.get(kind, kind)) for kind in self.support_given]

    @property
    def reciprocal(self) -> bool:
        return bool(self.support_given) and bool(self.support_received)
