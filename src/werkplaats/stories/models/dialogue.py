"""Mixed methods and the participatory cycle: joint-display judgements, findings,
dialogue sessions (kruisen van kennis) and member checks."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from werkplaats.core.models import VersionedModel
from werkplaats.partnership.models import StakeholderKind
from werkplaats.stories.models.codebooks import Code
from werkplaats.stories.models.codings import CodingRound, Segment
from werkplaats.stories.models.sources import Source


class JointDisplayCell(VersionedModel):
    """A researcher's judgement of how the stories and the figures relate, per theme and group."""

    class Relation(models.TextChoices):
        CONFIRMS = "confirms", _("confirms")
        EXPANDS = "expands", _("expands")
        CONTRADICTS = "contradicts", _("contradicts")

    round = models.ForeignKey(CodingRound, on_delete=models.CASCADE, related_name="joint_cells")
    theme = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="+")
    group = models.CharField(_("group"), max_length=60, blank=True)
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices, blank=True)
    meta_inference = models.TextField(_("meta-inference"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "theme", "group"], name="joint_cell_unique")
        ]

    def __str__(self) -> str:
        return f"{self.theme} / {self.group or '-'}: {self.relation}"


class Finding(models.Model):
    """A finding put on the table: a statement, with the quotes and display that carry it."""

    study = models.ForeignKey("programme.Study", on_delete=models.PROTECT, related_name="findings")
    statement = models.TextField(_("finding"))
    joint_cell = models.ForeignKey(
        JointDisplayCell, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )
    quotes = models.ManyToManyField(
        Segment, blank=True, related_name="findings", verbose_name=_("quotes")
    )
    discussed_with_clients_at = models.DateTimeField(
        _("discussed with clients at"), null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.statement[:80]


class DialogueSession(models.Model):
    """Kruisen van kennis: stakeholders interpret findings together."""

    study = models.ForeignKey(
        "programme.Study", on_delete=models.PROTECT, related_name="dialogue_sessions"
    )
    held_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    phase = models.CharField(_("phase of the study"), max_length=20)
    findings = models.ManyToManyField(
        Finding, blank=True, related_name="sessions", verbose_name=_("findings on the table")
    )
    interpretations = models.TextField(_("interpretations voiced"), blank=True)
    disagreements = models.TextField(_("disagreements voiced"), blank=True)
    actions = models.TextField(_("actions agreed"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("dialogue session")
        verbose_name_plural = _("dialogue sessions")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"


class DialogueParticipant(models.Model):
    """How many people of one stakeholder role took part (no names needed)."""

    session = models.ForeignKey(
        DialogueSession, on_delete=models.CASCADE, related_name="participants"
    )
    role = models.CharField(_("stakeholder role"), max_length=20)
    kind = models.CharField(_("stakeholder kind"), max_length=20, choices=StakeholderKind.choices)
    count = models.PositiveSmallIntegerField(
        _("number of people"), default=1, validators=[MinValueValidator(1)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "role"], name="participant_role_unique"),
            models.CheckConstraint(
                condition=models.Q(count__gte=1), name="participant_count_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.count} × {self.role}"


class MemberCheck(models.Model):
    """A synthesis sent back to a participant, through their own page or a one-time link."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="member_checks")
    synthesis = models.TextField(_("synthesis, in plain language"))
    client = models.ForeignKey(
        "casework.Client",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="member_checks",
    )
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("member check")
        verbose_name_plural = _("member checks")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A client's page or a one-time link; a link's hash is pruned some time after
            # it expired (stories.tasks), its expiry date stays as the trace that it was sent.
            models.CheckConstraint(
                condition=models.Q(client__isnull=False)
                | models.Q(token_hash__isnull=False)
                | models.Q(expires_at__isnull=False),
                name="member_check_has_a_way_to_answer",
            )
        ]

    def __str__(self) -> str:
        return self.synthesis[:60]

    @property
    def answered(self) -> bool:
        return hasattr(self, "response")


class MemberCheckResponse(models.Model):
    """The participant's answer: new data, linked to the finding and kept as a source."""

    class Agreement(models.TextChoices):
        YES = "yes", _("Yes, this is right")
        PARTLY = "partly", _("Partly")
        NO = "no", _("No, this is not right")

    member_check = models.OneToOneField(
        MemberCheck, on_delete=models.CASCADE, related_name="response"
    )
    agreement = models.CharField(
        _("does this fit your experience?"), max_length=10, choices=Agreement.choices
    )
    comment = models.TextField(_("what would you add or change?"), blank=True)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.member_check_id}: {self.agreement}"


class DialogueInvitation(models.Model):
    """An experience expert or educator invited to a session: they may see the session
    and its findings and add their interpretation (stories.access)."""

    session = models.ForeignKey(
        DialogueSession, on_delete=models.CASCADE, related_name="invitations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dialogue_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="dialogue_invitation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.user_id}"


class Interpretation(models.Model):
    """A participant's own interpretation of a session, or of one finding on its table.
    Added, never edited: each one keeps its author and time."""

    session = models.ForeignKey(
        DialogueSession, on_delete=models.CASCADE, related_name="added_interpretations"
    )
    finding = models.ForeignKey(
        Finding,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="interpretations",
        verbose_name=_("finding"),
    )
    text = models.TextField(_("your interpretation"), max_length=2000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("interpretation")
        verbose_name_plural = _("interpretations")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]
