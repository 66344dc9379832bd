"""The partnership: municipalities, neighbourhoods, organisations, teams, people and roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from werkplaats.core.models import VersionedModel


class Municipality(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    cbs_code = models.CharField(_("CBS code"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Neighbourhood(models.Model):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="neighbourhoods"
    )
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("neighbourhood")
        verbose_name_plural = _("neighbourhoods")
        ordering = ["municipality__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="neighbourhood_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.municipality})"


class StakeholderKind(models.TextChoices):
    """The six kinds of partner in the seed's 'Samen sterk'."""

    PRACTICE = "practice", _("practice organisation")
    MUNICIPALITY = "municipality", _("municipality")
    KNOWLEDGE = "knowledge", _("knowledge institution")
    EDUCATION = "education", _("education")
    CLIENT_ORG = "client_org", _("client organisation")
    PROFESSIONAL_BODY = "professional_body", _("professional body")


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=160, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=StakeholderKind.choices)
    municipality = models.ForeignKey(
        Municipality,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
        help_text=_("For a municipality's own organisation: which municipality it is."),
    )
    strengths_based_policy = models.PositiveSmallIntegerField(
        _("strengths-based policy (1-5)"),
        null=True,
        blank=True,
        help_text=_("How far the organisation's policy is strengths-based; a context variable."),
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(strengths_based_policy__isnull=True)
                | models.Q(strengths_based_policy__gte=1, strengths_based_policy__lte=5),
                name="organisation_policy_range",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Team(VersionedModel):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(_("name"), max_length=120)
    neighbourhoods = models.ManyToManyField(
        Neighbourhood, blank=True, related_name="teams", verbose_name=_("neighbourhoods")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["organisation__name", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="team_unique")]

    def __str__(self) -> str:
        return f"{self.name} — {self.organisation}"


class User(AbstractUser):
    """A person who logs in. What they may see follows from their memberships."""

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    if TYPE_CHECKING:
        # Set on the request's user by django-otp's middleware: whether this session
        # passed the second factor.
        def is_verified(self) -> bool: ...

    def membership_rows(self) -> list[tuple[str, str, str | None]]:
        """(role, organisation name, team name or None) of each membership, in role order;
        read once per user object, so once per request for the request's user.

        The menu (``roles``) and the access log's actor fields (role, organisation) both
        need them on almost every page: one query instead of one each.
        """
        cached: list[tuple[str, str, str | None]] | None = getattr(self, "_membership_rows", None)
        if cached is None:
            cached = list(
                self.memberships.order_by("role", "pk").values_list(
                    "role", "organisation__name", "team__name"
                )
            )
            self._membership_rows = cached
        return cached

    def roles(self) -> set[str]:
        """The roles this user holds in any organisation (cached per request object)."""
        cached: set[str] | None = getattr(self, "_roles_cache", None)
        if cached is None:
            cached = {role for role, _organisation, _team in self.membership_rows()}
            self._roles_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles() & set(roles))

    def has_staff_role(self) -> bool:
        """Works in the partnership (any role but client or network member).

        Clients and network members see only their own pages: no programme, no
        stories index, nothing meant for staff in their menu.
        """
        return bool(self.roles() - {"client", "network_member"})


class Role(models.TextChoices):
    CLIENT = "client", _("client")
    NETWORK_MEMBER = "network_member", _("network member")
    PROFESSIONAL = "professional", _("professional")
    TEAM_MANAGER = "team_manager", _("team manager")
    ORG_ADMIN = "org_admin", _("organisation admin")
    RESEARCHER = "researcher", _("researcher")
    POLICY_MAKER = "policy_maker", _("policy maker")
    EXPERIENCE_EXPERT = "experience_expert", _("experience expert")
    EDUCATOR = "educator", _("educator")


# The people who work in the partnership: every role but the client's and the network
# member's (who get no staff pages, and whose accounts are made by their professional).
STAFF_ROLES: tuple[str, ...] = tuple(
    r for r in Role.values if r not in (Role.CLIENT, Role.NETWORK_MEMBER)
)


class Membership(VersionedModel):
    """A user's role in an organisation, and for team roles, in which team."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role", "team"], name="membership_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(role="team_manager") | models.Q(team__isnull=False),
                name="team_manager_has_team",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.organisation}"


class Invitation(models.Model):
    """A one-time link to set a password: how every account gets its first password.

    Only the token's hash is kept (core.one_time); the link works once and expires.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation of {self.user_id}"


class LoginDelay(models.Model):
    """Failed password attempts for one username, for the growing delay (docs/security.md).

    Keyed by a hash of the username as typed, known or not, so the table says nothing
    about which accounts exist and keeps no mistyped password that landed in the field.
    """

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()

    class Meta:
        verbose_name = _("login delay")
        verbose_name_plural = _("login delays")

    def __str__(self) -> str:
        return f"login delay {self.key[:8]} ({self.failures})"


class PasswordResetRequest(models.Model):
    """One request for a password-reset mail, kept a day for throttling (no addresses:
    only hashes of the address typed and of the client's network address)."""

    address_hash = models.CharField(max_length=64, db_index=True)
    ip_hash = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("password reset request")
        verbose_name_plural = _("password reset requests")

    def __str__(self) -> str:
        return f"password reset request {self.pk}"
