"""What every domain shares: the access log and optimistic version checks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
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


class AppendOnlyQuerySet(models.QuerySet["AccessLog"]):
    """The access log is never edited or pruned through the ORM."""

    def update(self, **kwargs: object) -> int:
        raise TypeError("The access log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("The access log is append-only.")


class AccessLog(models.Model):
    """Append-only record of every read, change, export and refusal of personal data.

    The fields follow NEN 7513: who (``actor_*``, kept when the user is deleted), on whose
    behalf, which clients (``AccessLogClient``, one row per client, also for lists and
    exports), what (``action`` on ``object_type``/``object_id``), when, from where (IP
    address and a hash of the session) and the outcome. Each entry carries a keyed hash
    over its content and the previous entry's hash: ``werkplaats audit verify`` finds an
    altered, inserted or deleted entry.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        CHANGE = "change", _("changed")
        CREATE = "create", _("created")
        EXPORT = "export", _("exported")
        DENIED = "denied", _("was refused")

    class Outcome(models.TextChoices):
        OK = "ok", _("allowed")
        DENIED = "denied", _("refused")

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # A convenience link for queries; the hash covers actor_id and actor_name, which
    # stay when the user is deleted (the link then becomes empty).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_id = models.PositiveBigIntegerField(null=True)
    actor_name = models.CharField(max_length=300, blank=True)
    actor_role = models.CharField(max_length=200, blank=True)
    actor_organisation = models.CharField(max_length=300, blank=True)
    on_behalf_of = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=100)
    detail = models.CharField(max_length=200, blank=True)
    client_count = models.PositiveIntegerField(default=0)
    ip = models.GenericIPAddressField(null=True, blank=True)
    session = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OK)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # A long list of clients (a study report names every consenting client) is written
    # once: ``client_set`` is the SHA-256 of the sorted ids, and a later entry naming the
    # same clients points at the entry that holds their rows (``clients_as``) instead of
    # writing them again. The entry's hash covers the client ids either way.
    client_set = models.CharField(
        max_length=64, blank=True, default="", db_default="", db_index=True
    )
    clients_as = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+"
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise TypeError("The access log is append-only.")

    def client_ids(self) -> list[int]:
        """The clients this entry names, sorted: its own rows, or those of the entry
        that holds the same list (``clients_as``)."""
        holder = self.clients_as_id or self.pk
        return sorted(
            AccessLogClient.objects.filter(entry_id=holder).values_list("client_id", flat=True)
        )


class AccessLogClient(models.Model):
    """One client whose data an access-log entry touched (no foreign key: kept forever)."""

    entry = models.ForeignKey(AccessLog, on_delete=models.DO_NOTHING, related_name="clients")
    client_id = models.PositiveBigIntegerField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "client_id"], name="accesslog_client_unique")
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}: client {self.client_id}"


class AccessLogHead(models.Model):
    """The end of the hash chain: one row, locked while an entry is appended."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"{self.seq} {self.hash}"


class DataVersion(models.Model):
    """How often a table was written to (core.data_versions): a figure computed from some
    tables is kept under the sum of their versions, which every write moves on.

    A table has one row per writer that held one at the same time (PostgreSQL takes an
    unlocked row or adds one, so a long import never makes other writers wait); its version
    is the sum over its rows. The row ``*`` holds a random number from the migration that
    made the table, so two databases never share a kept figure.
    """

    table_name = models.CharField(max_length=100, db_index=True)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.table_name}: {self.version}"
