"""Messages to people: e-mail through Django's mail settings, text messages through a
provider, every one logged (who, what, when, to which address; never the body).

Domain apps call ``send_email`` / ``send_text`` with the message already written in the
recipient's language. Reminders and invitations pass ``optional=True``: a person who
turned reminders off (``opt_out``) gets none, and the log says so. Set-password
invitations (``partnership.invitations``) go through ``send_email`` too, never optional.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import models
from django.urls import reverse
from django.utils.module_loading import import_string

from werkplaats.operations.models import MessageLog, OptOut

logger = logging.getLogger("werkplaats.messages")
OPT_OUT_SALT = "werkplaats.opt-out"


def address_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


def is_opted_out(address: str, user: Any = None) -> bool:
    query = models.Q(address_hash=address_hash(address))
    if user is not None and getattr(user, "pk", None):
        query |= models.Q(user=user)
    return OptOut.objects.filter(query).exists()


def opt_out(*, address: str | None = None, user: Any = None) -> None:
    """Turn reminders off for an account or an address (idempotent)."""
    if user is not None:
        OptOut.objects.get_or_create(user=user)
    if address:
        OptOut.objects.get_or_create(address_hash=address_hash(address))


def opt_in(user: Any) -> None:
    """Turn reminders on again for an account (and its e-mail address)."""
    OptOut.objects.filter(user=user).delete()
    if getattr(user, "email", ""):
        OptOut.objects.filter(address_hash=address_hash(user.email)).delete()


def opt_out_url(address: str) -> str:
    """A link that turns reminders off for ``address`` (signed; it names no one in clear)."""
    token = signing.dumps(address_hash(address), salt=OPT_OUT_SALT)
    return settings.WERKPLAATS_BASE_URL + reverse("operations:stop", kwargs={"token": token})


def address_from_token(token: str) -> str | None:
    """The address hash in an opt-out link, or None when the link is not one of ours."""
    try:
        value = signing.loads(token, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) and len(value) == 64 else None


def _about(obj: models.Model | None) -> dict[str, str]:
    if obj is None:
        return {"object_type": "", "object_id": ""}
    return {"object_type": obj._meta.label_lower, "object_id": str(obj.pk)}


def _deliver(
    *,
    channel: str,
    kind: str,
    to: str,
    send: Callable[[], object],
    recipient: Any,
    about: models.Model | None,
    optional: bool,
) -> MessageLog:
    """Send one message through ``send`` and log it: opted out, failed (never raised: the
    log says) or sent."""
    user = recipient if getattr(recipient, "pk", None) else None
    fields: dict[str, Any] = {
        "channel": channel,
        "kind": kind,
        "address": to,
        "recipient": user,
        **_about(about),
    }
    if optional and is_opted_out(to, user):
        return MessageLog.objects.create(outcome="opted_out", **fields)
    try:
        send()
    except Exception as exc:  # refused, unreachable, ...: logged, not raised
        if channel == "email":
            logger.warning("e-mail %s to log entry failed: %s", kind, type(exc).__name__)
        return MessageLog.objects.create(outcome="failed", error=type(exc).__name__, **fields)
    return MessageLog.objects.create(outcome="sent", **fields)


def send_email(
    *,
    kind: str,
    to: str,
    subject: str,
    body: str,
    recipient: Any = None,
    about: models.Model | None = None,
    optional: bool = False,
) -> MessageLog:
    """Send one e-mail and log it; never raises for a failed delivery (the log says)."""
    message = EmailMessage(subject=subject, body=body, to=[to])
    return _deliver(
        channel="email",
        kind=kind,
        to=to,
        send=message.send,
        recipient=recipient,
        about=about,
        optional=optional,
    )


class TextProvider(Protocol):
    """What a text-message provider offers: send one message, raise when it cannot."""

    def send(self, to: str, body: str) -> None: ...


class LoggingTextProvider:
    """Sends nothing: writes that a message would go out (without its body) to the log,
    and keeps the messages in ``outbox`` for tests."""

    outbox: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> None:
        logger.info("text message to %s (%d characters)", to, len(body))
        self.outbox.append((to, body))


def text_provider() -> TextProvider:
    provider: TextProvider = import_string(settings.WERKPLAATS_TEXT_PROVIDER)()
    return provider


def send_text(
    *,
    kind: str,
    to: str,
    body: str,
    recipient: Any = None,
    about: models.Model | None = None,
    optional: bool = False,
) -> MessageLog:
    """Send one text message and log it; never raises for a failed delivery."""
    return _deliver(
        channel="text",
        kind=kind,
        to=to,
        send=lambda: text_provider().send(to, body),
        recipient=recipient,
        about=about,
        optional=optional,
    )
