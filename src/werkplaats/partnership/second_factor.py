"""The second factor for staff: a TOTP app, with ten one-use recovery codes (django-otp).

Who needs it: every user with a staff role (every role but client and network member),
when ``SECOND_FACTOR_REQUIRED`` is on (the default outside debug). The demo's personas
(``@demo.werkplaats.invalid``) are exempt while ``SECOND_FACTOR_DEMO_EXEMPT`` is on (the
default in debug only). After the password, :class:`SecondFactorMiddleware` sends such a
user to set up an app (first time) or to enter a code; nothing else opens until then.

django-otp keeps the devices and throttles wrong codes (each failure doubles the wait);
``django_otp.login`` marks the session as verified.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from werkplaats.core.audit import log_denied
from werkplaats.partnership import login_throttle
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.partnership.models import Role, User

DEMO_EMAIL_DOMAIN = "@demo.werkplaats.invalid"
NON_STAFF_ROLES = {Role.CLIENT, Role.NETWORK_MEMBER}
RECOVERY_CODES = 10


def needs_second_factor(user: User) -> bool:
    if not getattr(settings, "SECOND_FACTOR_REQUIRED", False):
        return False
    if getattr(settings, "SECOND_FACTOR_DEMO_EXEMPT", False) and user.email.endswith(
        DEMO_EMAIL_DOMAIN
    ):
        return False
    return user.is_staff or user.is_superuser or bool(user.roles() - NON_STAFF_ROLES)


def _has_device(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


class SecondFactorMiddleware:
    """Staff who logged in with a password reach nothing but the second-factor pages."""

    OPEN = ("/login/", "/logout/", "/i18n/", "/static/", "/healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.OPEN)
            and not user.is_verified()
            and needs_second_factor(user)
        ):
            target = "second_factor" if _has_device(user) else "second_factor_setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """Ends a session after ``SESSION_IDLE_SECONDS`` without a request, and
    ``SESSION_COOKIE_AGE`` after logging in, whatever happened in between."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = int(session.setdefault("started_at", now))
            seen = int(session.get("seen_at", now))
            idle = int(getattr(settings, "SESSION_IDLE_SECONDS", 1200))
            # ">=": the session ends the second the page's countdown (seconds_left) reaches 0.
            if now - seen >= idle or now - started >= settings.SESSION_COOKIE_AGE:
                logout(request)
                messages.info(request, _("You were logged out because the session ended."))
                return redirect(f"{reverse('login')}?next={request.get_full_path()}")
            # Write the session at most twice a minute (more often for a very short timeout).
            if now - seen >= min(30, idle // 4):
                session["seen_at"] = now
            else:
                session.setdefault("seen_at", now)
        return self.get_response(request)


class LoginForm(AuthenticationForm):
    """The password login, closed to accounts that only hold the network-member role."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Your username and password did not match. Please try again."),
    }

    def clean(self) -> dict[str, Any]:
        username = str(self.data.get("username") or "")[:150]
        if username:
            wait = login_throttle.seconds_to_wait(username)
            if wait:
                raise ValidationError(
                    _(
                        "Too many failed attempts for this username. Wait %(seconds)d "
                        "seconds and try again."
                    ),
                    code="delayed",
                    params={"seconds": wait},
                )
        try:
            cleaned = super().clean()
        except ValidationError as error:
            locked = bool(getattr(self.request, "axes_locked_out", False))
            if username and error.code == "invalid_login" and not locked:
                login_throttle.record_failure(username)
            raise
        if username:
            login_throttle.clear(username)
        return cleaned

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        roles = user.roles()
        if roles and roles <= {Role.NETWORK_MEMBER}:
            raise ValidationError(
                _(
                    "Network members do not log in with a password: use the one-time link "
                    "you received."
                ),
                code="network_member",
            )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text"}),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones (shown once)."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@login_required
@require_http_methods(["GET", "POST"])
def setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Connect an authenticator app: scan the code, enter the first code it shows."""
    if _has_device(request.user) and not request.user.is_verified():
        # A second device only after proving the first: otherwise a stolen password
        # would be enough to add one.
        return redirect(f"{reverse('second_factor')}?next={_next(request)}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="app", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].replace(" ", "")):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
            otp_login(request, device)
            codes = _recovery_codes(request.user)
            return render(
                request,
                "registration/second_factor_codes.html",
                {"codes": codes, "next": _next(request)},
            )
        form.add_error("code", _("That code is not right. Enter the code your app shows now."))
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return render(
        request,
        "registration/second_factor_setup.html",
        {
            "form": form,
            "qr": mark_safe(qr),  # noqa: S308 - generated SVG, no user input
            "secret": _base32(device.bin_key),
            "next": _next(request),
        },
    )


def _base32(key: bytes) -> str:
    import base64

    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The code from the app, or one recovery code (each works once)."""
    if not _has_device(request.user):
        return redirect(f"{reverse('second_factor_setup')}?next={_next(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].replace(" ", "")
        devices = list(TOTPDevice.objects.filter(user=request.user, confirmed=True)) + list(
            StaticDevice.objects.filter(user=request.user)
        )
        for device in devices:
            allowed, _why = device.verify_is_allowed()
            if allowed and device.verify_token(code):
                otp_login(request, device)
                return redirect(_next(request))
        log_denied(request.user, "second_factor", str(request.user.pk), "wrong code")
        if any(not d.verify_is_allowed()[0] for d in devices):
            form.add_error(None, _("Too many wrong codes. Wait a moment and try again."))
        else:
            form.add_error("code", _("That code is not right."))
    return render(
        request, "registration/second_factor.html", {"form": form, "next": _next(request)}
    )
