"""Qualitative sources (the teller's words, kept under the original access rules) and
their anonymised shared versions (what co-coders see)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from werkplaats.core.crypto import EncryptedTextField
from werkplaats.core.models import VersionedModel


class SourceQuerySet(models.QuerySet["Source"]):
    def research_usable(self) -> SourceQuerySet:
        """Sources research may use now: research consent recorded and not withdrawn, and,
        for a story told by a client within a study, that client's consent for the study
        standing (withdrawing it stops research use of all their stories in that study)."""
        from werkplaats.programme.models import Consent

        study_consent = Consent.objects.standing(models.OuterRef("study")).filter(
            client=models.OuterRef("teller_client")
        )
        return self.filter(research_consent_at__isnull=False, withdrawn_at__isnull=True).filter(
            models.Q(teller_client__isnull=True)
            | models.Q(study__isnull=True)
            | models.Exists(study_consent)
        )


class Source(models.Model):
    class Kind(models.TextChoices):
        CLIENT_STORY = "client_story", _("client story")
        INTERVIEW = "interview", _("interview transcript")
        FOCUS_GROUP = "focus_group", _("focus-group transcript")
        REFLECTION = "reflection", _("professional reflection")
        EXPERIENCE = "experience", _("experience-expert contribution")
        MSC = "msc", _("Most Significant Change story")
        DILEMMA = "dilemma", _("dilemma case")
        MEMBER_CHECK = "member_check", _("member-check response")

    class TellerRole(models.TextChoices):
        CLIENT = "client", _("client")
        NETWORK_MEMBER = "network_member", _("network member")
        PROFESSIONAL = "professional", _("professional")
        EXPERIENCE_EXPERT = "experience_expert", _("experience expert")
        RESEARCHER = "researcher", _("researcher")
        GROUP = "group", _("several people")
        OTHER = "other", _("other")

    kind = models.CharField(_("kind of source"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    # The original text: encrypted at rest, shown only where access.py allows.
    text = EncryptedTextField(_("text"))
    teller_name = EncryptedTextField(_("who told it"), blank=True)
    teller_role = models.CharField(
        _("role of the teller"), max_length=20, choices=TellerRole.choices
    )
    teller_client = models.ForeignKey(
        "casework.Client",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stories",
        verbose_name=_("the teller, as a client"),
        help_text=_("When the teller is a client: they can see and withdraw this story."),
    )
    language = models.CharField(_("language"), max_length=30, default="nl")
    told_on = models.DateField(_("date told"), null=True, blank=True)
    study = models.ForeignKey(
        "programme.Study", null=True, blank=True, on_delete=models.PROTECT, related_name="sources"
    )
    trajectory = models.ForeignKey(
        "casework.Trajectory",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sources",
    )
    msc_domain = models.CharField(_("domain of change"), max_length=120, blank=True)
    msc_reason = models.TextField(_("why this story was selected"), blank=True)
    imported_from = models.CharField(_("imported from"), max_length=200, blank=True)
    research_consent_at = models.DateTimeField(
        _("research consent given at"), null=True, blank=True
    )
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(study__isnull=False) | models.Q(trajectory__isnull=False),
                name="source_linked_to_study_or_trajectory",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="msc")
                | (~models.Q(msc_domain="") & ~models.Q(msc_reason="")),
                name="source_msc_has_domain_and_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_research_consent(self) -> bool:
        return self.research_consent_at is not None and self.withdrawn_at is None

    def teaching_consent_stands(self) -> bool:
        """Told by a client whose consent for teaching stands now (and not withdrawn)."""
        from werkplaats.programme.models import Consent

        return (
            self.teller_client_id is not None
            and self.withdrawn_at is None
            and Consent.objects.teaching_standing().filter(client_id=self.teller_client_id).exists()
        )


class SharedVersion(VersionedModel):
    """The anonymised text of a source, reviewed by a person; what co-coders work on, and,
    for a story whose teller gave consent for teaching, what educators may read."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="shared_versions")
    title = models.CharField(_("neutral title"), max_length=120)
    text = models.TextField(_("anonymised text"))
    # Where masks were put and of what kind, never the masked words themselves.
    masks = models.JSONField(default=list, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"))
    # Offered as teaching material by a researcher on the study; educators see it only
    # while the teller's teaching consent stands (stories.access.teaching_stories).
    teaching_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    teaching_at = models.DateTimeField(_("offered as teaching material at"), null=True, blank=True)

    class Meta:
        verbose_name = _("anonymised version")
        verbose_name_plural = _("anonymised versions")
        ordering = ["-reviewed_at", "-pk"]

    def __str__(self) -> str:
        return self.title
