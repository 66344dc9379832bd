"""Codebooks: hierarchical codes, shareable between studies."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Give a colour as #RRGGBB."))


class Codebook(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    studies = models.ManyToManyField(
        "programme.Study", blank=True, related_name="codebooks", verbose_name=_("studies")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("codebook")
        verbose_name_plural = _("codebooks")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Code(models.Model):
    codebook = models.ForeignKey(Codebook, on_delete=models.CASCADE, related_name="codes")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        verbose_name=_("part of"),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    colour = models.CharField(
        _("colour"), max_length=7, default="#1f5fa8", validators=[colour_validator]
    )
    is_group = models.BooleanField(
        _("only for grouping"),
        default=False,
        help_text=_("A grouping code holds other codes and is not applied to text itself."),
    )
    guid = models.UUIDField(default=uuid.uuid4, editable=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("code")
        verbose_name_plural = _("codes")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["codebook", "guid"], name="code_guid_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent_id is None:
            return
        parent = self.parent
        if parent is not None and parent.codebook_id != self.codebook_id:
            raise ValidationError(
                {"parent": _("A code can only sit under a code of the same codebook.")}
            )
        seen = {self.pk}
        while parent is not None:
            if parent.pk in seen:
                raise ValidationError({"parent": _("A code cannot sit under itself.")})
            seen.add(parent.pk)
            parent = parent.parent

    def theme(self) -> Code:
        """The top-level code above this one (a theme in joint displays)."""
        node = self
        while node.parent is not None:
            node = node.parent
        return node
