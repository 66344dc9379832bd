"""Invitations: every account gets its first password through a one-time link.

``invite`` makes the link (only its hash is stored, core.one_time) and delivers it:
by mail where mail is configured (``WERKPLAATS_EMAIL_HOST``) and the person has an
address, otherwise the caller shows or prints it. Delivery is one function,
``deliver_invitation``, so another transport can take its place.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from werkplaats.core import one_time
from werkplaats.core.audit import log_access
from werkplaats.operations.messages import send_email
from werkplaats.partnership.models import Invitation, User

INVITATION_DAYS = 14
_SMTP = "django.core.mail.backends.smtp.EmailBackend"
_FOLDER = "werkplaats.operations.mail_backend.FolderEmailBackend"  # mail that stays here


@dataclass(frozen=True)
class Sent:
    url: str
    mailed: bool


def mail_configured() -> bool:
    """Mail goes out when a mail server is set (or, in tests, another mail backend); the
    mail folder of the demo does not count: there the link is printed."""
    return bool(settings.EMAIL_HOST) or settings.EMAIL_BACKEND not in (_SMTP, _FOLDER)


def invitation_url(token: str) -> str:
    return settings.WERKPLAATS_BASE_URL + reverse("partnership:invitation", kwargs={"token": token})


@transaction.atomic
def invite(user: User, *, by: User | None = None, language: str = "nl") -> Sent:
    """A fresh set-password link for ``user``; earlier unused links stop working."""
    now = timezone.now()
    Invitation.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
    token, token_hash = one_time.make_token()
    invitation = Invitation.objects.create(
        user=user,
        token_hash=token_hash,
        expires_at=one_time.expiry(INVITATION_DAYS),
        created_by=by,
    )
    if by is not None:
        log_access(by, "create", invitation, f"invitation for user {user.pk}")
    url = invitation_url(token)
    return Sent(url=url, mailed=deliver_invitation(user, url, language=language))


def deliver_invitation(user: User, url: str, *, language: str = "nl") -> bool:
    """Mail the link when mail is configured and the person has an address."""
    if not (user.email and mail_configured()):
        return False
    with override(language):
        subject = _("Your Werkplaats account")
        body = _(
            "Hello %(name)s,\n\nAn account on Werkplaats has been made for you, with the "
            "username %(username)s. Choose your password with this link (it works once, "
            "for %(days)d days):\n\n%(url)s\n\nIf you did not expect this message, you can "
            "ignore it."
        ) % {
            "name": user.get_full_name() or user.username,
            "username": user.username,
            "days": INVITATION_DAYS,
            "url": url,
        }
    entry = send_email(
        kind="set_password", to=user.email, subject=subject, body=body, recipient=user, about=user
    )
    return entry.outcome == "sent"


def find_invitation(token: str) -> Invitation | None:
    """The invitation a link stands for, if it still works."""
    try:
        token_hash = one_time.hash_token(token)
    except one_time.NotAToken:
        return None
    return (
        Invitation.objects.select_related("user")
        .filter(
            token_hash=token_hash,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )


@transaction.atomic
def redeem(token: str, password: str) -> User:
    """Set the password from an invitation link; the link is spent."""
    invitation = find_invitation(token)
    if invitation is None:
        raise ValidationError(_("This link no longer works."), code="gone")
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.used_at is not None:
        raise ValidationError(_("This link no longer works."), code="gone")
    user = invitation.user
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    locked.used_at = timezone.now()
    locked.save(update_fields=["used_at"])
    log_access(user, "change", user, "password set from an invitation")
    return user
