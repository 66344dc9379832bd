"""Django settings, read from the environment.

One file for every environment: what differs comes from environment variables
(see docs/configuration.md). ``WERKPLAATS_DEBUG=1`` is for a developer's machine and the
demo; without it, the secret key and the field-encryption key must be set.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import django_stubs_ext
from csp.constants import NONCE as CSP_NONCE
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.utils.translation import gettext_lazy as _

from werkplaats.config.env import (
    ConfigurationError,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
)

# Django's generic classes (ModelForm[Client], QuerySet[Study], TextField[...]) take type
# arguments at run time too, so every package can be type-checked with mypy --strict.
django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("WERKPLAATS_DATA_DIR", str(Path.cwd() / "var")))
# Where study reports are written: built from the report page or by the background task
# (docs/insight.md). One setting; its environment variable is WERKPLAATS_REPORTS_DIR
# (docs/configuration.md).
REPORTS_DIR = Path(env_str("WERKPLAATS_REPORTS_DIR", str(DATA_DIR / "reports")))

DEBUG = env_bool("WERKPLAATS_DEBUG", default=False)

if DEBUG:
    # A development key: the demo and tests run without configuration.
    SECRET_KEY = env_str("WERKPLAATS_SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
    FIELD_ENCRYPTION_KEY = env_str(
        "WERKPLAATS_FIELD_KEY", "ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmc="
    )
    PSEUDONYM_KEY = env_str("WERKPLAATS_PSEUDONYM_KEY", "dev-only-pseudonym-key-not-for-real-data")
else:
    SECRET_KEY = env_str("WERKPLAATS_SECRET_KEY")
    FIELD_ENCRYPTION_KEY = env_str("WERKPLAATS_FIELD_KEY")
    # Kept apart from the secret key, so rotating that key (sessions, CSRF) does not
    # change every study's pseudonyms and break linking of exports over time.
    PSEUDONYM_KEY = env_str("WERKPLAATS_PSEUDONYM_KEY")
# The access log's hash chain is keyed, so an entry cannot be rewritten with a fresh hash
# by someone without the key. Without its own setting it is derived from the pseudonym key
# (which, like this one, must not change over the life of the data).
AUDIT_KEY = env_str("WERKPLAATS_AUDIT_KEY", "") or "audit-chain:" + PSEUDONYM_KEY
# Set only behind a reverse proxy that writes this header (e.g. X-Forwarded-For): the
# right-most address in it is then the client's. Without it the peer address is used.
CLIENT_IP_HEADER = env_str("WERKPLAATS_CLIENT_IP_HEADER", "")
PROXY_COUNT = env_int("WERKPLAATS_PROXY_COUNT", 1)
if len(PSEUDONYM_KEY) < 32:
    raise ConfigurationError(
        "WERKPLAATS_PSEUDONYM_KEY must be at least 32 characters long.",
        "WERKPLAATS_PSEUDONYM_KEY moet minstens 32 tekens lang zijn.",
    )
if len(SECRET_KEY) < 32:
    raise ConfigurationError(
        "WERKPLAATS_SECRET_KEY must be at least 32 characters long.",
        "WERKPLAATS_SECRET_KEY moet minstens 32 tekens lang zijn.",
    )

ALLOWED_HOSTS = env_list("WERKPLAATS_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # WhiteNoise serves the static files under the development server as well, so the
    # demo and production serve them the same way.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "werkplaats.core",
    "werkplaats.partnership",
    "werkplaats.programme",
    "werkplaats.casework",
    "werkplaats.stories",
    "werkplaats.instruments",
    "werkplaats.measurements",
    "werkplaats.context",
    "werkplaats.insight",
    "werkplaats.methods",
    "werkplaats.portal",
    "werkplaats.demo",
    "werkplaats.operations",
    "huey.contrib.djhuey",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "werkplaats.core.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "werkplaats.partnership.second_factor.SessionTimeoutMiddleware",
    "werkplaats.partnership.second_factor.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "werkplaats.core.audit.AuditMiddleware",
]

ROOT_URLCONF = "werkplaats.config.urls"
WSGI_APPLICATION = "werkplaats.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "werkplaats.partnership.session_warning.session_timing",
            ],
        },
    }
]

_database_url = env_str("DATABASE_URL", "")
if _database_url:
    _db = database_from_url(_database_url)
else:
    _sqlite_path = Path(env_str("WERKPLAATS_SQLITE_PATH", str(DATA_DIR / "werkplaats.sqlite3")))
    _sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _sqlite_path,
        # Each process keeps its connection between requests, as on PostgreSQL: opening
        # one per request read the schema again and ran the pragmas below, 3-4 ms of CPU
        # of every request (a third of a page whose view does nothing; bench/README.md).
        "CONN_MAX_AGE": 600,
        "OPTIONS": {
            # WAL lets readers go on while one writer writes; IMMEDIATE takes the write
            # lock at the start of a transaction, so two writers queue instead of failing
            # half-way; the timeout is how long a writer waits in that queue.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON;",
        },
    }
_test_db_name = env_str("WERKPLAATS_TEST_DB_NAME", "")
if _test_db_name and str(_db["ENGINE"]).endswith("postgresql"):
    _db["TEST"] = {"NAME": _test_db_name}
DATABASES = {"default": _db}

# Text messages: a class with send(to, body) (werkplaats.operations.messages.TextProvider).
# No provider is shipped; the logging one writes to the log and sends nothing.
WERKPLAATS_TEXT_PROVIDER = env_str(
    "WERKPLAATS_TEXT_PROVIDER", "werkplaats.operations.messages.LoggingTextProvider"
)

# The task queue (Huey; docs/deploy.md says why). On the embedded SQLite default its queue
# is a second SQLite file beside the database: no server to run. On PostgreSQL the queue
# lives in the same database (its own huey_* tables), so any number of web servers and
# workers share it. Tests run tasks at once, in the caller (WERKPLAATS_TASKS_IMMEDIATE).
if _database_url:
    _queue: dict[str, object] = {
        "huey_class": "werkplaats.operations.storage.DatabaseHuey",
        "database": _database_url.replace("postgres://", "postgresql://", 1),
    }
else:
    _queue = {
        "huey_class": "huey.SqliteHuey",
        "filename": env_str(
            "WERKPLAATS_TASKS_PATH", str(Path(str(_db["NAME"])).with_suffix(".tasks.sqlite3"))
        ),
        "timeout": 20,
    }
HUEY: dict[str, Any] = {
    "name": "werkplaats",
    "immediate": env_bool("WERKPLAATS_TASKS_IMMEDIATE", default=False),
    "utc": True,
    **_queue,
    "consumer": {
        "workers": env_int("WERKPLAATS_WORKER_THREADS", 2),
        "worker_type": "thread",
        "periodic": True,
        "check_worker_health": True,
    },
}

# Caches: "default" lives in each process's memory; "shared" is a folder every process of
# the installation reads (web servers and the worker), for figures that are slow to make and
# that the worker keeps fresh, such as the caseload's not-on-track reference
# (insight.on_track). Files, so that it needs no server and survives a restart.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": env_str("WERKPLAATS_CACHE_DIR", str(DATA_DIR / "cache")),
        "TIMEOUT": None,
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "partnership.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A second factor (TOTP app + recovery codes) for every staff role; on outside debug.
# The demo's personas log in without it while the demo exemption is on (debug only).
SECOND_FACTOR_REQUIRED = env_bool("WERKPLAATS_SECOND_FACTOR", default=not DEBUG)
SECOND_FACTOR_DEMO_EXEMPT = env_bool("WERKPLAATS_SECOND_FACTOR_DEMO_EXEMPT", default=DEBUG)
OTP_TOTP_ISSUER = env_str("WERKPLAATS_OTP_ISSUER", "Werkplaats")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (partnership/login_throttle.py, docs/security.md): per username a growing
# delay after a few failures, never a lock (so nobody can lock a colleague out by name);
# per client address a limit (django-axes) that locks that address for a while. The
# address is the trusted proxy's header only (WERKPLAATS_CLIENT_IP_HEADER), else the peer.
LOGIN_FREE_ATTEMPTS = env_int("WERKPLAATS_LOGIN_FREE_ATTEMPTS", 3)
LOGIN_MAX_DELAY_SECONDS = env_int("WERKPLAATS_LOGIN_MAX_DELAY_SECONDS", 300)
AXES_FAILURE_LIMIT = env_int("WERKPLAATS_LOGIN_ADDRESS_LIMIT", 30)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("WERKPLAATS_LOGIN_ADDRESS_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_CLIENT_IP_CALLABLE = "werkplaats.core.audit.client_ip"
# A success does not wipe the address's count: an attacker with an account of their own
# could otherwise reset it between guesses.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("WERKPLAATS_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Sessions end when the browser closes, after WERKPLAATS_SESSION_IDLE_MINUTES without a
# request (20), and at the latest WERKPLAATS_SESSION_MAX_HOURS after logging in (8).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_IDLE_SECONDS = env_int("WERKPLAATS_SESSION_IDLE_MINUTES", 20) * 60
SESSION_COOKIE_AGE = env_int("WERKPLAATS_SESSION_MAX_HOURS", 8) * 3600
# Pages with a form warn this long before the idle timeout (partnership/session_warning.py).
SESSION_WARN_SECONDS = env_int("WERKPLAATS_SESSION_WARN_SECONDS", 120)
SESSION_COOKIE_SAMESITE = "Lax"
# HTTPS only outside debug: redirect plain HTTP (not the health check a local monitor
# calls), tell browsers to use nothing else for a year (HSTS).
SECURE_SSL_REDIRECT = env_bool("WERKPLAATS_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SECURE_HSTS_SECONDS = env_int("WERKPLAATS_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("WERKPLAATS_HSTS_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("WERKPLAATS_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The largest request body accepted (the biggest import is 50 MB); larger ones get 413.
MAX_REQUEST_BYTES = env_int("WERKPLAATS_MAX_REQUEST_MB", 60) * 1024 * 1024
# Story uploads one person may have being read at once (stories/import_slots.py).
STORY_IMPORTS_PER_USER = env_int("WERKPLAATS_STORY_IMPORTS_PER_USER", 1)
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp; docs/security.md): scripts and styles only from our
# own static files, no inline script or style attribute. The few inline <script>/<style>
# blocks carry the request's nonce: <script nonce="{{ request.csp_nonce }}">.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF, CSP_NONCE],
        "style-src": [CSP_SELF, CSP_NONCE],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    }
}
# A refused form says what happened and what to do, in the reader's language.
CSRF_FAILURE_VIEW = "werkplaats.core.errors.csrf_failure"

# Where the application is reached: links in invitations (which may be printed or
# mailed, so they must be absolute) start with it.
WERKPLAATS_BASE_URL = env_str("WERKPLAATS_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Outgoing mail (invitations). Without WERKPLAATS_EMAIL_HOST no mail is sent: setup
# prints the invitation links and the admin's page shows them.
EMAIL_HOST = env_str("WERKPLAATS_EMAIL_HOST", "")
EMAIL_PORT = env_int("WERKPLAATS_EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("WERKPLAATS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("WERKPLAATS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("WERKPLAATS_EMAIL_TLS", default=True)
DEFAULT_FROM_EMAIL = env_str("WERKPLAATS_EMAIL_FROM", "werkplaats@localhost")
EMAIL_TIMEOUT = 30
# Without a mail server every message (reminders, digests) is written as one .eml file to
# WERKPLAATS_MAIL_DIR (var/mail/), where the demo's reader finds it; nothing leaves.
EMAIL_FILE_PATH = env_str("WERKPLAATS_MAIL_DIR", str(DATA_DIR / "mail"))
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "werkplaats.operations.mail_backend.FolderEmailBackend"
)

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = Path(env_str("WERKPLAATS_STATIC_ROOT", str(DATA_DIR / "static")))
# Outside debug, `werkplaats serve` collects the files with content hashes in their names
# (compressed beside them); WhiteNoise sends those with a far-future cache header, so a
# new release is fetched because its names change. In debug the files come straight from
# the source folders, unhashed, and a changed stylesheet shows on reload.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_MANIFEST_STRICT = False  # a file missing from the manifest is served unhashed
WHITENOISE_MAX_AGE = 0 if DEBUG else 3600  # unhashed names; hashed ones get a year

# The production web server (`werkplaats serve`, gunicorn). By default one request per
# process (gunicorn's sync worker), two processes per core and one more: at 20 users on
# two cores that kept p95 lowest on PostgreSQL and SQLite alike, where threads let the
# requests of one process wait on each other for the interpreter lock and a user's
# keep-alive connection stays with one busy process (bench/README.md, docs/deploy.md).
WEB_SERVER = {
    "bind": env_str("WERKPLAATS_BIND", "127.0.0.1:8000"),
    "workers": env_int("WERKPLAATS_WEB_WORKERS", 2 * (os.cpu_count() or 1) + 1),
    "threads": env_int("WERKPLAATS_WEB_THREADS", 1),
    "timeout": env_int("WERKPLAATS_WEB_TIMEOUT", 120),
    "graceful_timeout": env_int("WERKPLAATS_WEB_GRACEFUL_TIMEOUT", 30),
    "max_requests": env_int("WERKPLAATS_WEB_MAX_REQUESTS", 2000),
    # The addresses of the reverse proxies whose X-Forwarded-Proto (and the other
    # scheme headers) gunicorn believes. None by default: gunicorn's own default trusts
    # 127.0.0.1, so any process on the machine could claim a request came over HTTPS.
    "trusted_proxies": env_list("WERKPLAATS_TRUSTED_PROXIES", []),
}

# Behind a reverse proxy: the header that says the original request was HTTPS, and the
# header that carries the client's address (login throttling counts per address). Set
# them only when the proxy always sets (and overwrites) those headers.
_proxy_ssl_header = env_str("WERKPLAATS_PROXY_SSL_HEADER", "")
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _proxy_ssl_header.upper().replace("-", "_"),
        "https",
    )
CSRF_TRUSTED_ORIGINS = env_list("WERKPLAATS_CSRF_TRUSTED_ORIGINS", [])

# /healthz calls the worker stale when it has not been heard from for this long.
WERKPLAATS_WORKER_STALE_SECONDS = env_int("WERKPLAATS_WORKER_STALE_SECONDS", 300)
# Finished task runs (and their errors) are kept this many days, then pruned nightly.
WERKPLAATS_TASK_RUNS_DAYS = env_int("WERKPLAATS_TASK_RUNS_DAYS", 30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "axes": {"handlers": ["console"], "level": "WARNING"},
        # A server error (500) goes with its traceback to the server's error log
        # (gunicorn's stderr, the journal under systemd). Outside debug Django would only
        # mail it to ADMINS, of which there are none, so the error left no trace.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
