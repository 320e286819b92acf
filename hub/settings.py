"""Settings for every environment, read from environment variables.

One machine (the default): SQLite and secrets under var/, a local Redis started by the Makefile.
Many machines: DATABASE_URL (PostgreSQL), REDIS_URL (shared Redis), SECRET_KEY and HUB_ENCRYPTION_KEYS
given by the deployment, DEBUG=false. A missing or malformed value stops start-up with a message naming
the variable.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from connectors.outbound import OutboundHosts
from hub.env import env_bool, env_int, env_list, env_str, env_url, local_secret_file

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HUB_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)


def _secret(name: str, local_file: str, make: str | None = None) -> str:
    """A secret from NAME, or the file named by NAME_FILE, or (DEBUG only) a generated local file."""
    if name in os.environ:
        return env_str(name)
    if f"{name}_FILE" in os.environ:
        path = Path(env_str(f"{name}_FILE"))
        if not path.is_file():
            raise ImproperlyConfigured(f"{name}_FILE points at {path}, which is not a readable file.")
        return path.read_text().strip()
    if not DEBUG:
        raise ImproperlyConfigured(f"{name} (or {name}_FILE) must be set when DEBUG is false.")
    return local_secret_file(VAR_DIR / local_file, make)


SECRET_KEY = _secret("SECRET_KEY", "secret_key")
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY is too short: use at least 32 random characters.")


def _encryption_keys(raw: str) -> list[str]:
    keys = [key.strip() for key in raw.replace("\n", ",").split(",") if key.strip()]
    if not keys:
        raise ImproperlyConfigured(
            "HUB_ENCRYPTION_KEYS is empty: give one or more Fernet keys, newest first."
        )
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"HUB_ENCRYPTION_KEYS: key {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes; make one with `manage.py rotate_keys --new-key`)."
            ) from None
    return keys


# Newest first: the first key encrypts, every key decrypts (cryptography's MultiFernet).
HUB_ENCRYPTION_KEY_FILE = VAR_DIR / "encryption_keys"
HUB_ENCRYPTION_KEYS = _encryption_keys(
    _secret("HUB_ENCRYPTION_KEYS", "encryption_keys", Fernet.generate_key().decode())
)
HUB_ENCRYPTION_KEYS_FROM_FILE = "HUB_ENCRYPTION_KEYS" not in os.environ and (
    "HUB_ENCRYPTION_KEYS_FILE" not in os.environ
)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is false (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "auditlog",
    "django_rq",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "hub.audit",
    "axes",
    "hub.access",  # after axes: its admin module narrows axes' admin
    "hub.systems",
    "hub.catalog",
    "hub.mappings",
    "hub.flows",
    "hub.configuration",
    "hub.api",
    "hub.fallback",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hub.audit.middleware.HubAuditlogMiddleware",  # auditlog's, trusting only HUB_TRUSTED_PROXIES
    "hub.access.middleware.QueueDashboardGuard",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: it turns a lockout into its page
]

# Admin sign-in: django-axes counts failures per user name and address (its database handler: shared by
# every web process) and refuses that pair for a while; its backend comes first so that it can refuse.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("HUB_LOGIN_FAILURE_LIMIT", 5, minimum=1)
# Two more tiers, counted by hub/access/lockout.py (0 turns one off): one address whatever the names, and
# one name whatever the addresses (this one locks the person out too: keep it well above the first).
HUB_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("HUB_LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=0)
HUB_LOGIN_NAME_FAILURE_LIMIT = env_int("HUB_LOGIN_NAME_FAILURE_LIMIT", 30, minimum=0)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("HUB_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # the first tier, and what a success clears
AXES_RESET_ON_SUCCESS = True
# An attempt refused during a lockout is not recorded: it neither extends that lockout nor counts towards
# another tier (else one address could push a name over the name tier and lock its owner out everywhere).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "hub.access.signins.client_ip"  # HUB_TRUSTED_PROXIES decides, as for the API
AXES_LOCKOUT_TEMPLATE = "access/locked_out.html"
AXES_USERNAME_CALLABLE = "hub.access.signins.axes_username"  # a name that is no user's: only its hash
AXES_HANDLER = "hub.access.lockout.TieredLockoutHandler"  # axes' database handler, counting three tiers
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins: the audit trail's logged_in entries
AXES_VERBOSE = False  # sign-ins are in the audit trail; axes' own log lines would repeat them

ROOT_URLCONF = "hub.urls"
WSGI_APPLICATION = "hub.wsgi.application"

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
            ],
        },
    },
]

DATABASE_URL = env_url(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'hub.sqlite3'}",
    schemes=("sqlite", "postgres", "postgresql", "pgsql"),
)
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
except (ValueError, dj_database_url.ParseError) as error:  # the message may quote the password: not shown
    raise ImproperlyConfigured(
        f"DATABASE_URL cannot be read ({type(error).__name__}): check its form."
    ) from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "hub.sqlite"  # Django's SQLite, with its real parameter limit
    # Wait for the lock rather than fail at once when the web server and a worker write together;
    # IMMEDIATE makes a write transaction take the lock at its start, so it cannot deadlock on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        # WAL lets the web server read while a worker writes. A bigger page cache than SQLite's 2 MiB keeps
        # the engine's indexes in memory (make bench: a 100,000-record run is about 20% faster); it is a
        # fixed amount per connection, whatever the data's size.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA cache_size=-{env_int('HUB_SQLITE_CACHE_MIB', 16) * 1024};"
        ),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so that a real worker process in the tests sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_url("REDIS_URL", "redis://127.0.0.1:6390/0", schemes=("redis", "rediss", "unix"))
RQ_QUEUES = {
    name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": env_int("HUB_JOB_TIMEOUT", 1800, minimum=10)}
    for name in ("default", "low")
}
RQ_SHOW_ADMIN_LINK = True

# Counters shared by every web process (API rate limits) live in Redis; when it cannot be reached each
# process counts on its own for a while (hub/api/throttling.py). Nothing that must not be lost is kept here.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "hub",
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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

# Security: on by default outside DEBUG, each switch overridable for a deployment behind a TLS proxy.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Proxies whose X-Forwarded-For the partner API believes when checking a key's allowed addresses.
HUB_TRUSTED_PROXIES = env_list("HUB_TRUSTED_PROXIES", [])
for _proxy in HUB_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"HUB_TRUSTED_PROXIES: '{_proxy}' is not an address or a range such as 10.0.0.0/8."
        ) from None


def read_outbound_hosts(raw: str | None, *, debug: bool) -> list[str]:
    """HUB_OUTBOUND_HOSTS: the hosts connectors may connect to (see connectors/outbound.py), separated by
    commas or new lines. Unset: this machine only under DEBUG, nothing otherwise. Every entry is checked
    here, so that a typo stops start-up with the entry named rather than refusing a system later."""
    if raw is None:
        return ["localhost", "127.0.0.0/8", "::1"] if debug else []
    entries = [entry.strip() for entry in raw.replace("\n", ",").split(",") if entry.strip()]
    try:
        OutboundHosts.parse(entries)
    except ValueError as error:
        raise ImproperlyConfigured(f"HUB_OUTBOUND_HOSTS: {error}.") from None
    return entries


# Server-side request forgery guard: empty means the hub connects to no system at all until it is set.
# A name on the list reaches public addresses only: a system on a private network (an ERP on 10.20.1.5)
# needs its address or range listed too (10.20.0.0/16), as do this machine and link-local addresses.
HUB_OUTBOUND_HOSTS = read_outbound_hosts(os.environ.get("HUB_OUTBOUND_HOSTS"), debug=DEBUG)
if env_bool("HUB_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Audit trail: secret fields are excluded from diffs by registration; anything masked is masked in full.
AUDITLOG_MASK_CALLABLE = "hub.audit.masking.mask_fully"
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_DISABLE_REMOTE_ADDR = False
# Messages live in the session (the database), not in a signed cookie: a new webhook secret is shown once in
# one, and a cookie is readable by anyone who has it.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
AUDITLOG_CID_HEADER = None  # a caller must not choose its correlation id: the hub gives each request one
HUB_AUDIT_RETENTION_DAYS = env_int("HUB_AUDIT_RETENTION_DAYS", 0)  # archive_audit's default; 0 keeps all
# The audit chain's head, appended outside the database after sealings (verify_audit compares the chain with
# it, to catch its end cut off): keep it where the database's users cannot write, or ship it elsewhere.
# An empty value turns it off. At most one line every HUB_AUDIT_HEAD_INTERVAL_SECONDS (0: every sealing).
HUB_AUDIT_HEAD_FILE = env_str("HUB_AUDIT_HEAD_FILE", str(VAR_DIR / "audit-chain-heads.jsonl"))
HUB_AUDIT_HEAD_INTERVAL_SECONDS = env_int("HUB_AUDIT_HEAD_INTERVAL_SECONDS", 5)
# The longest a transaction may take between writing an audit entry and committing: an entry that reaches
# the table later than that after its time is reported as inserted behind the audit chain's back.
HUB_AUDIT_LATE_COMMIT_MINUTES = env_int("HUB_AUDIT_LATE_COMMIT_MINUTES", 30, minimum=1)

# Every handler carries the "safe" filter (hub/access/logging.py): secrets redacted, control characters
# encoded. Django's own loggers are pointed at our handler, so that none of its default handlers (which
# would not have the filter) remain.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"safe": {"()": "hub.access.logging.SafeLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["safe"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}

# The partner REST API (hub/api): keys instead of sessions, problem documents for every error.
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024  # above the API's 5 MiB per push (hub.api.views.MAX_BODY_BYTES)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["hub.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["hub.api.permissions.HasPartnerKey"],
    "DEFAULT_THROTTLE_CLASSES": ["hub.api.throttling.KeyRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "hub.api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "hub.api.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Integration Hub partner API",
    "DESCRIPTION": "Push records into the hub, follow what happened to them, read canonical records with "
    "their provenance, start flows and replay dead letters. Every error is an RFC 9457 problem document.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {
        "row_id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}
    },
}

HUB_SAMPLE_SECRETS_FILE = VAR_DIR / "demo" / "secrets.json"

# HSTS for subdomains and browser preload lists commit the whole domain: a decision for its owner, who can
# turn them on with SECURE_HSTS_INCLUDE_SUBDOMAINS / SECURE_HSTS_PRELOAD.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
