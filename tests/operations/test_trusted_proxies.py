"""gunicorn believes a peer's X-Forwarded-Proto only when that peer is a configured
proxy (WERKPLAATS_TRUSTED_PROXIES); by default none is, not even 127.0.0.1."""

from __future__ import annotations

from gunicorn.config import Config
from gunicorn.http.parser import RequestParser

from werkplaats.operations.web import server_options

CLAIMS_HTTPS = (
    b"GET /login/ HTTP/1.1\r\nHost: werkplaats.example.org\r\nX-Forwarded-Proto: https\r\n\r\n"
)


def _scheme_seen_by_gunicorn(peer: str) -> str:
    """Parse a request from `peer` with the server's own options, as gunicorn does."""
    cfg = Config()
    for key, value in server_options().items():
        if key in cfg.settings and value is not None:
            cfg.set(key, value)
    request = next(iter(RequestParser(cfg, iter([CLAIMS_HTTPS]), (peer, 40000))))
    return str(request.scheme)


def test_by_default_no_peer_may_claim_https_not_even_localhost(settings):
    settings.WEB_SERVER = {**settings.WEB_SERVER, "trusted_proxies": []}
    assert server_options()["forwarded_allow_ips"] == ""
    assert _scheme_seen_by_gunicorn("127.0.0.1") == "http"
    assert _scheme_seen_by_gunicorn("::1") == "http"


def test_a_configured_proxy_may_claim_https_and_no_one_else(settings):
    settings.WEB_SERVER = {**settings.WEB_SERVER, "trusted_proxies": ["10.0.0.5"]}
    assert _scheme_seen_by_gunicorn("10.0.0.5") == "https"
    assert _scheme_seen_by_gunicorn("127.0.0.1") == "http"
    assert _scheme_seen_by_gunicorn("10.0.0.6") == "http"
