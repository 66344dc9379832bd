"""Coding rounds (co-coding, optionally blind), coded segments and memos."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from werkplaats.stories.models.codebooks import Code, Codebook
from werkplaats.stories.models.sources import SharedVersion, Source


class CodingRound(models.Model):
    """Several coders code the same anonymised sources with one codebook."""

    class Unitising(models.TextChoices):
        SENTENCE = "sentence", _("sentences")
        PARAGRAPH = "paragraph", _("paragraphs")

    study = models.ForeignKey(
        "programme.Study", on_delete=models.PROTECT, related_name="coding_rounds"
    )
    codebook = models.ForeignKey(Codebook, on_delete=models.PROTECT, related_name="rounds")
    title = models.CharField(_("title"), max_length=200)
    blind = models.BooleanField(
        _("blind coding"),
        default=True,
        help_text=_("Coders do not see each other's coding until everyone is done."),
    )
    unitising = models.CharField(
        _("units for agreement"), max_length=10, choices=Unitising.choices, default="sentence"
    )
    documents = models.ManyToManyField(
        SharedVersion, related_name="rounds", verbose_name=_("sources")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coding round")
        verbose_name_plural = _("coding rounds")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class CoderAssignment(models.Model):
    round = models.ForeignKey(CodingRound, on_delete=models.CASCADE, related_name="assignments")
    coder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coder_assignments"
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["round", "coder"], name="assignment_unique")]

    def __str__(self) -> str:
        return f"{self.coder_id} in {self.round_id}"


class Segment(models.Model):
    """A coded stretch of text: character offsets [start, end) plus the snippet itself,
    so a source that changed afterwards is detected (the snippet no longer matches)."""

    round = models.ForeignKey(CodingRound, on_delete=models.CASCADE, related_name="segments")
    document = models.ForeignKey(SharedVersion, on_delete=models.CASCADE, related_name="segments")
    coder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    code = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="segments")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    snippet = models.TextField()
    memo = models.TextField(_("memo"), blank=True)
    guid = models.UUIDField(null=True, blank=True, editable=False)
    # A coder from another tool (REFI-QDA import) who is not a researcher on the study: the
    # segment is held under the importer's assignment, and this name travels back on export.
    external_coder = models.CharField(_("external coder"), max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coded segment")
        verbose_name_plural = _("coded segments")
        ordering = ["document_id", "start", "end", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="segment_end_after_start"
            ),
            models.UniqueConstraint(
                fields=["round", "document", "coder", "external_coder", "code", "start", "end"],
                name="segment_unique",
            ),
        ]
        indexes = [models.Index(fields=["round", "document", "coder"])]

    def __str__(self) -> str:
        return f"{self.code} [{self.start}:{self.end}]"

    @property
    def is_stale(self) -> bool:
        """True when the source text under these offsets is no longer the coded snippet."""
        return self.document.text[self.start : self.end] != self.snippet


class Memo(models.Model):
    """A memo on exactly one thing: a source, an anonymised version, a code, a segment or a
    coding round.

    Memos on a source (its original text) are read both under the care rules and for
    research; the context keeps the two apart: a memo is shown only on the route it was
    written on. Memos on anonymised versions, codes, segments and rounds are research memos."""

    class Context(models.TextChoices):
        CARE = "care", _("care")
        RESEARCH = "research", _("research")

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("memo"))
    context = models.CharField(
        _("context"), max_length=10, choices=Context.choices, default=Context.RESEARCH
    )
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.CASCADE, related_name="memos"
    )
    document = models.ForeignKey(
        SharedVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="memos"
    )
    code = models.ForeignKey(
        Code, null=True, blank=True, on_delete=models.CASCADE, related_name="memos"
    )
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.CASCADE, related_name="memos"
    )
    # a memo on a whole coding round (a REFI-QDA project note travels in and out as one)
    round = models.ForeignKey(
        CodingRound, null=True, blank=True, on_delete=models.CASCADE, related_name="memos"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("memo")
        verbose_name_plural = _("memos")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        source__isnull=False,
                        document__isnull=True,
                        code__isnull=True,
                        segment__isnull=True,
                        round__isnull=True,
                    )
                    | models.Q(
                        source__isnull=True,
                        document__isnull=False,
                        code__isnull=True,
                        segment__isnull=True,
                        round__isnull=True,
                    )
                    | models.Q(
                        source__isnull=True,
                        document__isnull=True,
                        code__isnull=False,
                        segment__isnull=True,
                        round__isnull=True,
                    )
                    | models.Q(
                        source__isnull=True,
                        document__isnull=True,
                        code__isnull=True,
                        segment__isnull=False,
                        round__isnull=True,
                    )
                    | models.Q(
                        source__isnull=True,
                        document__isnull=True,
                        code__isnull=True,
                        segment__isnull=True,
                        round__isnull=False,
                    )
                ),
                name="memo_exactly_one_target",
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]


class CoCodingAgreement(models.Model):
    """A person said yes to co-coding stories: only they appear in a round's coder list
    (besides the study's own researchers). Withdrawing deletes the row."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="co_coding"
    )
    agreed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agreement to co-code")
        verbose_name_plural = _("agreements to co-code")

    def __str__(self) -> str:
        return f"co-coding agreement of {self.user_id}"


class CodingSet(models.Model):
    """A named set of codes and/or sources of a coding round (the code sets and document
    groups of other QDA tools; REFI-QDA ``Set``)."""

    round = models.ForeignKey(CodingRound, on_delete=models.CASCADE, related_name="sets")
    guid = models.UUIDField(editable=False)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    codes = models.ManyToManyField(Code, blank=True, related_name="sets")
    documents = models.ManyToManyField(SharedVersion, blank=True, related_name="sets")

    class Meta:
        verbose_name = _("set")
        verbose_name_plural = _("sets")
        ordering = ["round_id", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class CodingLink(models.Model):
    """A link between two codes, segments or sources of a coding round (REFI-QDA ``Link``),
    by the GUIDs under which they are exported: a code's guid, a segment's guid, or an
    anonymised version's export guid."""

    class Direction(models.TextChoices):
        ASSOCIATIVE = "Associative", _("associative")
        ONE_WAY = "OneWay", _("one way")
        BIDIRECTIONAL = "Bidirectional", _("both ways")

    round = models.ForeignKey(CodingRound, on_delete=models.CASCADE, related_name="links")
    guid = models.UUIDField(editable=False)
    name = models.CharField(_("name"), max_length=200, blank=True)
    direction = models.CharField(
        max_length=13, choices=Direction.choices, default=Direction.ASSOCIATIVE
    )
    origin = models.UUIDField()
    target = models.UUIDField()

    class Meta:
        verbose_name = _("link")
        verbose_name_plural = _("links")
        ordering = ["round_id", "pk"]

    def __str__(self) -> str:
        return self.name or str(self.guid)


class MediaReference(models.Model):
    """A coded selection in a PDF, picture, audio or video source of an imported REFI-QDA
    project, kept as a reference: Werkplaats holds text sources only, so the media itself
    is not kept, but what was coded where is."""

    round = models.ForeignKey(CodingRound, on_delete=models.CASCADE, related_name="media")
    guid = models.CharField(max_length=40, blank=True)
    source_name = models.CharField(_("source"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20)
    # page and corners (PDF, picture) or begin and end (audio, video), as the file gave them
    position = models.JSONField(default=dict, blank=True)
    codes = models.ManyToManyField(Code, blank=True, related_name="media_references")

    class Meta:
        verbose_name = _("media reference")
        verbose_name_plural = _("media references")
        ordering = ["round_id", "source_name", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_name}"
