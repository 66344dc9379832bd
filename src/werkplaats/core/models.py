"""What every domain shares: the access log and optimistic version checks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from werkplaats.core.i18n import pick


class BilingualNamed(models.Model):
    """A row of a list loaded as data, named in Dutch and English."""

    name_nl = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick(self.name_nl, self.name_en)


class VersionedModel(models.Model):
    """A row that two people may edit at once: each save must name the version it read."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class AccessLog(models.Model):
    """Append-only record of every read or change of personal data."""

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        CHANGE = "change", _("changed")
        CREATE = "create", _("created")
        EXPORT = "export", _("exported")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.object_type}#{self.object_id}"
