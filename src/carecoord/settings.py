"""
Settings for CareCoord, read from the environment (see README "Configuration").

CARECOORD_ENV=production turns on the production posture: a secret key and allowed hosts are required,
cookies are Secure, HSTS and the HTTPS redirect are on. The default is a development posture suited
to `make run` on 127.0.0.1.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("CARECOORD_VAR_DIR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("CARECOORD_ENV", "development") == "production"
DEBUG = env_bool("CARECOORD_DEBUG", default=False)

SECRET_KEY = os.environ.get("CARECOORD_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("CARECOORD_SECRET_KEY must be set in production.")
    SECRET_KEY = "development-only-key-not-for-production-use-7d3f0c2b9a8e4f1d"  # noqa: S105

ALLOWED_HOSTS = env_list("CARECOORD_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("CARECOORD_ALLOWED_HOSTS must be set in production.")
CSRF_TRUSTED_ORIGINS = env_list("CARECOORD_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "carecoord.core",
    "carecoord.directory",
    "carecoord.patients",
    "carecoord.careplans",
    "carecoord.scheduling",
    "carecoord.checkins",
    "carecoord.interop.fhir",
    "carecoord.transitions",
    "carecoord.interop.hl7v2",
    "carecoord.messaging",
    "carecoord.education",
    "carecoord.medications",
    "carecoord.coverage",
    "carecoord.community",
    "carecoord.records",
    "carecoord.demo",
]

# core.browser_middleware: the browser-session middleware, which bearer-token FHIR calls skip (its docstring).
MIDDLEWARE = [
    "carecoord.core.resilience.DatabaseUnavailableMiddleware",  # first: turns a lost database into 503
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "carecoord.core.resilience.ConcurrencyLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "carecoord.core.browser_middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "carecoord.core.middleware.RejectNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",  # as named: Django's deploy checks look for this path
    "carecoord.core.browser_middleware.AuthenticationMiddleware",
    "carecoord.core.browser_middleware.OTPMiddleware",
    "carecoord.core.browser_middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "carecoord.core.browser_middleware.HtmxMiddleware",
    "carecoord.core.middleware.RequestContextMiddleware",
    "carecoord.core.browser_middleware.ActorMiddleware",
    "carecoord.core.browser_middleware.SessionPolicyMiddleware",
    "carecoord.core.middleware.NoStoreMiddleware",
    "carecoord.core.middleware.ApplicationErrorMiddleware",
    "axes.middleware.AxesMiddleware",  # as named: axes checks for this path; cheap for a bearer call
]

ROOT_URLCONF = "carecoord.urls"
WSGI_APPLICATION = "carecoord.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carecoord.core.context_processors.actor",
            ],
        },
    },
]

# PostgreSQL: the statements compiled once per connection (core.prepared) run as server-side prepared
# statements, planned once per connection. Off for a connection pooler that does not keep them.
CARECOORD_DB_PREPARED_STATEMENTS = env_bool("CARECOORD_DB_PREPARED_STATEMENTS", default=True)

# Database: SQLite (WAL, immediate transactions) by default; PostgreSQL through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'carecoord.sqlite3'}"),
        conn_max_age=int(os.environ.get("CARECOORD_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with its per-request `SELECT 1` skipped for a connection that just worked (its docstring).
    DATABASES["default"]["ENGINE"] = "carecoord.core.pgbackend"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections are kept (per server thread) like PostgreSQL's: opening one runs the PRAGMAs below and
    # registers Django's SQL functions, and closing the last one checkpoints the WAL, together ~3 ms of CPU
    # and up to ~8 ms of wall time per request when every request opened its own (CONN_MAX_AGE=0).
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing
        # with "database is locked" halfway through a transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
    if CARECOORD_DB_PREPARED_STATEMENTS:
        # Only the statements core.prepared asks for (prepare=True) are prepared; never automatically.
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 2**31 - 1)
    # Lets several test runs share one PostgreSQL server (each takes its own test database).
    DATABASES["default"]["TEST"] = {
        "NAME": f"test_{DATABASES['default']['NAME']}{os.environ.get('CARECOORD_TEST_DB_SUFFIX', '')}"
    }


DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"

# Lockout (django-axes): a username is locked from one address after repeated failures, so an
# attacker elsewhere cannot lock a real user out of their own workstation.
AXES_FAILURE_LIMIT = int(os.environ.get("CARECOORD_LOCKOUT_FAILURES", "5"))
# Any accounts from one address (password spraying): a higher limit, same cool-off (core.login_throttle).
CARECOORD_LOCKOUT_ADDRESS_FAILURES = int(os.environ.get("CARECOORD_LOCKOUT_ADDRESS_FAILURES", "10"))
AXES_COOLOFF_TIME = float(os.environ.get("CARECOORD_LOCKOUT_MINUTES", "15")) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "email"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("CARECOORD_PROXY_COUNT", "0")) or None

# Sessions: server-side, idle timeout per organization (core.middleware), absolute lifetime here.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = int(os.environ.get("CARECOORD_SESSION_MAX_SECONDS", str(12 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CARECOORD_DEFAULT_IDLE_MINUTES = 15
# Break-glass: how long an emergency opening of a restricted record lasts (core.breakglass).
CARECOORD_BREAK_GLASS_MINUTES = int(os.environ.get("CARECOORD_BREAK_GLASS_MINUTES", "60"))

OTP_TOTP_ISSUER = "CareCoord"

LANGUAGE_CODE = "en-us"
# Display formats for people (m/d/Y, 12-hour clock): carecoord/formats/en/formats.py.
FORMAT_MODULE_PATH = "carecoord.formats"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("CARECOORD_STATIC_ROOT", PROJECT_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# Security headers. Strict CSP: no inline script or style, nothing from other origins.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("CARECOORD_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Structured JSON logs; no PHI in log lines (public ids only).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "carecoord.core.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CARECOORD_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# Overload and outages (carecoord.core.resilience): answers 503 with Retry-After instead of queueing or failing.
# CARECOORD_MAX_INFLIGHT caps the requests one server process runs at once (0 = no cap); `carecoord serve` sets
# the PostgreSQL statement and lock timeouts of web requests (--statement-timeout, --lock-timeout).
CARECOORD_RETRY_AFTER_SECONDS = int(os.environ.get("CARECOORD_RETRY_AFTER_SECONDS", "5"))
CARECOORD_MAX_INFLIGHT = int(os.environ.get("CARECOORD_MAX_INFLIGHT", "0"))
CARECOORD_INFLIGHT_WAIT_SECONDS = float(os.environ.get("CARECOORD_INFLIGHT_WAIT_SECONDS", "2"))

# The audit chain (carecoord.core.audit): a process seals after a commit or a read at most once per this many
# seconds, taking every event waiting; the worker seals what is left each minute. 0: after every one.
CARECOORD_AUDIT_SEAL_SECONDS = float(os.environ.get("CARECOORD_AUDIT_SEAL_SECONDS", "1"))

# Outgoing email: written to var/outbox by default (see messaging later); SMTP when configured.
EMAIL_BACKEND = os.environ.get("CARECOORD_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "outbox"
EMAIL_HOST = os.environ.get("CARECOORD_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("CARECOORD_EMAIL_PORT", "25"))
EMAIL_TIMEOUT = 5  # seconds: a hung mail server fails one delivery attempt, which is retried (RELIABILITY T30)
DEFAULT_FROM_EMAIL = os.environ.get("CARECOORD_FROM_EMAIL", "carecoord@localhost")

# Outbox delivery (carecoord.messaging): the dotted path of the class that sends each channel's messages, a
# class whose `send(message) -> None` raises on failure. The default, LocalOutboxSender, keeps messages in
# the local outbox (the Outbox page) and sends nothing off this machine; for real email use
# "carecoord.messaging.senders.DjangoEmailSender" (django.core.mail with EMAIL_BACKEND). A failed message is
# retried with growing pauses up to CARECOORD_OUTBOX_MAX_ATTEMPTS, then marked failed.
CARECOORD_EMAIL_SENDER = os.environ.get("CARECOORD_EMAIL_SENDER", "carecoord.messaging.senders.LocalOutboxSender")
CARECOORD_SMS_SENDER = os.environ.get("CARECOORD_SMS_SENDER", "carecoord.messaging.senders.LocalOutboxSender")
CARECOORD_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("CARECOORD_OUTBOX_MAX_ATTEMPTS", "5"))
