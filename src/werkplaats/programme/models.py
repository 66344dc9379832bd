"""The research programme: foci, angles and sub-themes (from the seed), studies, consents."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from werkplaats.core.i18n import pick
from werkplaats.core.models import BilingualNamed, VersionedModel
from werkplaats.partnership.models import Organisation


class _Bilingual(BilingualNamed):
    code = models.CharField(max_length=20, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Focus(_Bilingual):
    class Meta(_Bilingual.Meta):
        verbose_name = _("focus")
        verbose_name_plural = _("foci")


class Angle(_Bilingual):
    domain_nl = models.CharField(max_length=60)
    domain_en = models.CharField(max_length=60)

    class Meta(_Bilingual.Meta):
        verbose_name = _("angle")
        verbose_name_plural = _("angles")

    @property
    def domain(self) -> str:
        return pick(self.domain_nl, self.domain_en)


class SubTheme(_Bilingual):
    angle = models.ForeignKey(Angle, on_delete=models.PROTECT, related_name="subthemes")

    class Meta(_Bilingual.Meta):
        verbose_name = _("sub-theme")
        verbose_name_plural = _("sub-themes")


class Study(VersionedModel):
    class Design(models.TextChoices):
        QUANTITATIVE = "quantitative", _("quantitative")
        QUALITATIVE = "qualitative", _("qualitative")
        MIXED = "mixed", _("mixed methods")

    class Participation(models.TextChoices):
        """How far clients and practice take part (a participation ladder)."""

        INFORMED = "informed", _("informed")
        CONSULTED = "consulted", _("consulted")
        ADVISING = "advising", _("advising")
        COPRODUCING = "coproducing", _("co-producing")
        LEADING = "leading", _("client-led")

    class Phase(models.TextChoices):
        DESIGN = "design", _("design")
        DATA_COLLECTION = "data_collection", _("data collection")
        ANALYSIS = "analysis", _("analysis")
        REPORTING = "reporting", _("reporting")
        CLOSED = "closed", _("closed")

    slug = models.SlugField(
        _("short name"),
        max_length=80,
        unique=True,
        blank=True,
        help_text=_(
            "Made from the title when left empty. Lower-case letters, digits and hyphens; used in commands and addresses."
        ),
    )
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title in English"), max_length=200, blank=True)
    # What a client reads (plain words, B1): a research title such as "Empowerment in
    # trajecten van kwetsbare burgers" is not for the people it is about.
    client_title = models.CharField(_("title for clients"), max_length=200, blank=True)
    client_title_en = models.CharField(
        _("title for clients in English"), max_length=200, blank=True
    )
    question = models.TextField(_("research question"))
    subthemes = models.ManyToManyField(
        SubTheme, related_name="studies", verbose_name=_("sub-themes addressed")
    )
    foci = models.ManyToManyField(Focus, blank=True, related_name="studies")
    design = models.CharField(_("design"), max_length=20, choices=Design.choices)
    participation = models.CharField(
        _("participatory level"), max_length=20, choices=Participation.choices
    )
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    organisations = models.ManyToManyField(
        Organisation, through="StudyParticipation", related_name="studies"
    )
    researchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="studies"
    )

    class Meta:
        verbose_name = _("study")
        verbose_name_plural = _("studies")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="study_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            self.slug = unique_study_slug(self.title)
        super().save(*args, **kwargs)

    @property
    def display_title(self) -> str:
        return pick(self.title, self.title_en or self.title)

    @property
    def client_display_title(self) -> str:
        """The title a client reads: the plain one in the page's language, else the plain
        Dutch one, else the research title."""
        plain = self.client_title or self.title
        return pick(plain, self.client_title_en or self.client_title or self.title_en or self.title)

    def client_title_language(self, language: str) -> str:
        """The language the client title shown on a page in ``language`` is written in."""
        if language == "en" and (self.client_title_en or (not self.client_title and self.title_en)):
            return "en"
        return "nl"


def unique_study_slug(title: str) -> str:
    """A slug made from the title, with a number added when it is taken."""
    base = slugify(title)[:70] or "study"
    slug, n = base, 1
    while Study.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


class ConsentText(models.Model):
    """A version of the text a client is shown before consenting; never changed once used.

    Care and teaching consent texts belong to an organisation (its first version is the
    built-in text unless the organisation set its own); study consent texts belong to a
    study. A new wording is a new version.
    """

    purpose = models.CharField(
        _("purpose"),
        max_length=10,
        choices=[
            ("care", _("care and support")),
            ("study", _("research study")),
            ("teaching", _("teaching")),
        ],
    )
    study = models.ForeignKey(
        Study, null=True, blank=True, on_delete=models.PROTECT, related_name="consent_texts"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(_("version"))
    text_nl = models.TextField(_("text (Dutch)"))
    text_en = models.TextField(_("text (English)"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        ordering = ["purpose", "study_id", "organisation_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "version"],
                condition=models.Q(purpose="study"),
                name="consent_text_study_version_unique",
            ),
            models.UniqueConstraint(
                fields=["organisation", "version"],
                condition=models.Q(purpose="care"),
                name="consent_text_care_version_unique",
            ),
            models.UniqueConstraint(
                fields=["organisation", "version"],
                condition=models.Q(purpose="teaching"),
                name="consent_text_teaching_version_unique",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(purpose="study")
                    & models.Q(study__isnull=False)
                    & models.Q(organisation__isnull=True)
                )
                | (
                    models.Q(purpose__in=["care", "teaching"])
                    & models.Q(study__isnull=True)
                    & models.Q(organisation__isnull=False)
                ),
                name="consent_text_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version}"

    def text_in(self, language: str) -> str:
        return self.text_en if language == "en" and self.text_en else self.text_nl


class StudyParticipation(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="participations")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    contribution = models.CharField(_("contribution"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "organisation"], name="participation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.study}"


class ConsentQuerySet(models.QuerySet["Consent"]):
    def standing(self, study: Study | int | models.OuterRef) -> ConsentQuerySet:
        """The consents for ``study`` that stand now: given for that study, not withdrawn.

        ``study`` may be a study, its id, or an expression such as ``OuterRef("study")``.
        This is the one place the rule is written; "the client's consent stands" means a
        row of this queryset exists.
        """
        return self.filter(study=study, purpose=Consent.Purpose.STUDY, withdrawn_at__isnull=True)

    def teaching_standing(self) -> ConsentQuerySet:
        """The teaching consents that stand now: anonymised material from the client (their
        stories) may be offered to educators while one of these exists for them. This is
        the one place that rule is written; withdrawing takes the material off at once."""
        return self.filter(purpose=Consent.Purpose.TEACHING, withdrawn_at__isnull=True)


class Consent(models.Model):
    """A client's consent for one purpose: care, one named study, or teaching (their
    anonymised stories used by educators to teach students)."""

    class Purpose(models.TextChoices):
        CARE = "care", _("care and support")
        STUDY = "study", _("research study")
        TEACHING = "teaching", _("teaching")

    client = models.ForeignKey("casework.Client", on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    study = models.ForeignKey(
        Study, null=True, blank=True, on_delete=models.PROTECT, related_name="consents"
    )
    given_at = models.DateTimeField(_("given at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the client was shown: the text's version and language, and a PDF of what was
    # agreed (consents recorded before these existed, or imported, have none).
    text = models.ForeignKey(
        ConsentText, null=True, blank=True, on_delete=models.PROTECT, related_name="consents"
    )
    language = models.CharField(_("language shown"), max_length=5, blank=True)
    document = models.BinaryField(_("what was agreed (PDF)"), null=True, blank=True, editable=False)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["given_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(purpose="study") & models.Q(study__isnull=False))
                | (models.Q(purpose__in=["care", "teaching"]) & models.Q(study__isnull=True)),
                name="consent_study_iff_purpose_study",
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True)
                | models.Q(withdrawn_at__gte=models.F("given_at")),
                name="consent_withdrawn_after_given",
            ),
        ]

    def __str__(self) -> str:
        target = self.study.title if self.study else self.get_purpose_display()
        return f"{self.client} — {target}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None

    @property
    def is_teaching(self) -> bool:
        return self.purpose == Consent.Purpose.TEACHING

    @property
    def client_can_withdraw(self) -> bool:
        """The client withdraws a study or teaching consent on their own page; care is
        talked through with the social worker first."""
        return self.purpose in (Consent.Purpose.STUDY, Consent.Purpose.TEACHING)

    def renewable(self) -> bool:
        """A withdrawn study or teaching consent that the client has not given again since."""
        if not self.client_can_withdraw or self.withdrawn_at is None:
            return False
        again = Consent.objects.filter(
            client_id=self.client_id, purpose=self.purpose, withdrawn_at__isnull=True
        )
        if self.study_id is not None:
            again = again.filter(study_id=self.study_id)
        return not again.exists()
