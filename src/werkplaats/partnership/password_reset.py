"""Password reset by e-mail (docs/security.md, "Password reset").

The page asks for an e-mail address and always gives the same answer, whether an account
has that address or not: the request itself does the same work in both cases (it counts,
records and queues), and the look-up and the mail happen in the background task
``partnership.password_reset``. So neither the answer nor its timing says whether an
address is known.

The mail carries a one-time link (an ``Invitation``: only its hash is stored, it works
once, for ``RESET_MINUTES``, and a newer link replaces it) to the set-password page.
Throttled: at most ``RESET_PER_ADDRESS`` mails per address and ``RESET_PER_CLIENT``
requests per client address an hour.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from werkplaats.core import one_time
from werkplaats.core.audit import client_ip
from werkplaats.operations.messages import send_email
from werkplaats.operations.queue import background
from werkplaats.partnership.invitations import invitation_url
from werkplaats.partnership.models import Invitation, PasswordResetRequest, Role, User

RESET_MINUTES = 60
RESET_PER_ADDRESS = 3
RESET_PER_CLIENT = 10
WINDOW = dt.timedelta(hours=1)


def _hash(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}:{settings.SECRET_KEY}".encode()).hexdigest()


def normalise(address: str) -> str:
    return address.strip().lower()


class ResetForm(forms.Form):
    email = forms.EmailField(
        label=_lazy("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


@background("partnership.password_reset", retries=1, retry_delay=30)
def _send_reset(address: str, language: str) -> dict[str, int]:
    """Mail a one-time set-password link to every active account with this address."""
    sent = 0
    users = User.objects.filter(email__iexact=address, is_active=True)
    for user in users:
        roles = user.roles()
        if roles and roles <= {Role.NETWORK_MEMBER}:
            continue  # network members answer through one-time links only
        with transaction.atomic():
            now = timezone.now()
            Invitation.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
            token, token_hash = one_time.make_token()
            Invitation.objects.create(
                user=user,
                token_hash=token_hash,
                expires_at=now + dt.timedelta(minutes=RESET_MINUTES),
            )
        with override(language):
            subject = _("Reset your Werkplaats password")
            body = _(
                "Hello %(name)s,\n\nSomeone (probably you) asked to reset the password of "
                "the Werkplaats account %(username)s. Choose a new password with this link; "
                "it works once, for %(minutes)d minutes:\n\n%(url)s\n\nIf you did not ask for "
                "this, ignore this message: your password stays as it is."
            ) % {
                "name": user.get_full_name() or user.username,
                "username": user.username,
                "minutes": RESET_MINUTES,
                "url": invitation_url(token),
            }
        send_email(
            kind="password_reset",
            to=user.email,
            subject=subject,
            body=body,
            recipient=user,
            about=user,
        )
        sent += 1
    return {"sent": sent}


def request_reset(address: str, ip: str, *, language: str) -> bool:
    """Record and queue a reset for ``address``; False when this client asked too often.

    The same work whether or not an account has the address."""
    now = timezone.now()
    address_hash, ip_hash = _hash("address", normalise(address)), _hash("ip", ip)
    PasswordResetRequest.objects.filter(at__lt=now - dt.timedelta(days=1)).delete()
    recent = PasswordResetRequest.objects.filter(at__gte=now - WINDOW)
    if recent.filter(ip_hash=ip_hash).count() >= RESET_PER_CLIENT:
        return False
    PasswordResetRequest.objects.create(address_hash=address_hash, ip_hash=ip_hash, at=now)
    if recent.filter(address_hash=address_hash).count() <= RESET_PER_ADDRESS:
        _send_reset.start(f"reset:{address_hash[:32]}", normalise(address), language)
    return True


@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. The answer is the same for known and unknown addresses."""
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed = request_reset(
            form.cleaned_data["email"], client_ip(request) or "", language=get_language() or "nl"
        )
        if not allowed:
            return render(
                request,
                "registration/password_reset.html",
                {"form": form, "throttled": True},
                status=429,
            )
        return render(request, "registration/password_reset_sent.html")
    status = 400 if form.is_bound else 200
    return render(request, "registration/password_reset.html", {"form": form}, status=status)
