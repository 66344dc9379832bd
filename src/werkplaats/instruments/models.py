"""Instruments and their immutable versions, each identified by a content hash."""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from werkplaats.core.i18n import pick
from werkplaats.partnership.models import Organisation
from werkplaats.stats.definition import Definition, parse_definition

# Parsed definitions by the SHA-256 of their canonical JSON (see InstrumentVersion.parsed);
# a Definition is frozen, so one parse can serve every version object with that content.
_PARSED: dict[str, Definition] = {}
_PARSED_MAX = 256


class Instrument(models.Model):
    """One instrument across its versions (the definition's ``id``)."""

    class Kind(models.TextChoices):
        QUESTIONNAIRE = "questionnaire", _("questionnaire")
        TEMPLATE = "template", _("template without item text (bring your own licence)")
        METHOD = "method", _("method")
        CONTEXT = "context", _("context (about a team or organisation)")

    slug = models.SlugField(_("identifier"), max_length=63, unique=True)
    construct = models.SlugField(_("construct"), max_length=63)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title_nl = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        ordering = ["slug"]

    def __str__(self) -> str:
        return pick(self.title_nl, self.title_en)


# What each licence code of the definition format means, in a few words for staff lists;
# the questionnaire itself explains it to clients (measurements.views.answering).
LICENCE_LABELS = {
    "public-domain": _("public domain"),
    "free-with-attribution": _("free, with attribution"),
    "bring-your-own-licence": _("the organisation's own licence"),
    "free-method": _("free method"),
}


class InstrumentVersion(models.Model):
    """One exact definition. Never changed after it is stored: answers point to it."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    label = models.CharField(_("version"), max_length=40)
    # Unique per organisation, not globally: an organisation's own licensed import must
    # never reuse (and so reveal) another organisation's version of the same content.
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64)
    definition = models.JSONField()
    licence_code = models.CharField(_("licence"), max_length=30)
    source_format = models.CharField(_("imported from"), max_length=20, default="yaml")
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="instrument_versions",
        help_text=_("Set for a definition an organisation imported under its own licence."),
    )
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("instrument version")
        verbose_name_plural = _("instrument versions")
        ordering = ["instrument__slug", "-created", "-pk"]
        constraints = [
            # One label per instrument in the shared library, and one per organisation for
            # definitions imported under an organisation's own licence.
            models.UniqueConstraint(
                fields=["instrument", "label"],
                condition=models.Q(organisation__isnull=True),
                name="instrumentversion_unique_shared_label",
            ),
            models.UniqueConstraint(
                fields=["instrument", "label", "organisation"],
                condition=models.Q(organisation__isnull=False),
                name="instrumentversion_unique_own_label",
            ),
            # One version per content in the shared library, and one per organisation.
            models.UniqueConstraint(
                fields=["content_hash"],
                condition=models.Q(organisation__isnull=True),
                name="instrumentversion_unique_shared_content",
            ),
            models.UniqueConstraint(
                fields=["content_hash", "organisation"],
                name="instrumentversion_unique_own_content",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.slug} {self.label} ({self.content_hash[:8]})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Immutability is an invariant of the row, not business logic: answers point here.
        if self.pk is not None:
            raise ValueError("An instrument version is immutable; import a new version instead.")
        super().save(*args, **kwargs)

    @property
    def licence_label(self) -> str:
        """The licence in the page's language; an unknown code as it is written."""
        return str(LICENCE_LABELS.get(self.licence_code, self.licence_code))

    @cached_property
    def parsed(self) -> Definition:
        """The checked definition, parsed once per process per content. Every query
        makes new version objects (``select_related("version")`` one per row), so a cache
        on the object alone would parse (and check against the schema) again on every
        page. The key is the definition's own canonical JSON, not the stored hash, so a
        row with a stale or made-up hash cannot be given another definition's parse."""
        key = hashlib.sha256(
            json.dumps(self.definition, sort_keys=True, default=str).encode()
        ).hexdigest()
        found = _PARSED.get(key)
        if found is None:
            found = parse_definition(self.definition)
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.pop(next(iter(_PARSED)))
            _PARSED[key] = found
        return found

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]
