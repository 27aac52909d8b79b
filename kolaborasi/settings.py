"""The one settings module. Everything that differs between machines comes from
environment variables; with none set you get a development site on SQLite under var/.
"""

from __future__ import annotations

import os
import zoneinfo
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from kolaborasi.environment import (
    env_bool,
    env_choice,
    env_dotted_path,
    env_int,
    env_list,
    env_rate,
    env_token,
    env_trusted_proxies,
    env_url,
    secret_keys,
    var_dir,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = var_dir()

DEBUG = env_bool("DEBUG", False)


# Old keys (further lines of SECRET_KEY_FILE) still verify what was signed with them.
SECRET_KEY, SECRET_KEY_FALLBACKS = secret_keys(debug=DEBUG, var_dir=VAR_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
for _host in ALLOWED_HOSTS:
    if "/" in _host or " " in _host:
        raise ValueError(f"ALLOWED_HOSTS holds host names (bantuan.example.go.id), not {_host!r}")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
for _origin in CSRF_TRUSTED_ORIGINS:
    _parts = urlsplit(_origin)
    if _parts.scheme not in {"http", "https"} or not _parts.netloc or _parts.path not in {"", "/"}:
        raise ValueError(
            f"CSRF_TRUSTED_ORIGINS holds origins such as https://bantuan.example.go.id, not {_origin!r}"
        )
CSRF_FAILURE_VIEW = "kolaborasi.core.error_pages.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    # Listed for its templates and static files: the API docs page then loads Swagger UI
    # from our own /static/ (WhiteNoise) instead of a CDN the Content-Security-Policy blocks.
    "ninja",
    "kolaborasi.core",
    "kolaborasi.audit",
    "kolaborasi.regions",
    "kolaborasi.campaigns",
    "kolaborasi.targets",
    "kolaborasi.accounts",
    "kolaborasi.pledges",
    "kolaborasi.funds",
    "kolaborasi.stats",
]

MIDDLEWARE = [
    # Outermost: every answer is counted and timed for /metrics, a shed or refused one too.
    "kolaborasi.core.metrics.MetricsMiddleware",
    # Before everything: every answer (a shed one too) and every log line carry the request id.
    "kolaborasi.core.observability.RequestIdMiddleware",
    # Then: a request that queued too long is refused before anything else costs time.
    "kolaborasi.core.shedding.LoadSheddingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Indonesian unless the person chose English with the switch (the browser's
    # Accept-Language counts for the API only).
    "kolaborasi.core.language.ChosenLanguageMiddleware",
    # Before anything reads the input: refuses NUL bytes and lone surrogates anywhere
    # in a request (after the language middleware so the refusal speaks the visitor's language).
    "kolaborasi.core.middleware.CleanInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kolaborasi.accounts.middleware.SessionLimitsMiddleware",
    "kolaborasi.accounts.middleware.SecondFactorMiddleware",
    # A view's bare 405 becomes a page in the site's layout (API paths keep JSON).
    "kolaborasi.core.error_pages.MethodNotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, so its process_exception sees a view's application error first: the refusal page.
    "kolaborasi.core.error_pages.RefusalMiddleware",
]

ROOT_URLCONF = "kolaborasi.urls"
WSGI_APPLICATION = "kolaborasi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kolaborasi.core.context_processors.site",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------
# SQLite is the embedded default: WAL so readers never block the writer, a busy timeout
# so concurrent writers queue instead of failing, IMMEDIATE transactions so a write
# transaction takes the write lock up front (no deadlock on lock upgrade), and
# synchronous=FULL so a 2xx answer is on disk (docs/architecture.md, invariant 4).
SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", VAR_DIR / "kolaborasi.sqlite3"))
# Seconds a request waits for SQLite's write lock before it is answered 503 (busy).
SQLITE_BUSY_TIMEOUT = env_int("SQLITE_BUSY_TIMEOUT", 20, low=1, high=600)
# Seconds a 503 for an unavailable database (saturated, down, locked) asks the client to wait.
DB_RETRY_AFTER = env_int("DB_RETRY_AFTER", 3, low=1, high=3600)
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
# PostgreSQL: each app-server process takes its connections from a bounded pool of at
# most DB_POOL_MAX_SIZE (docs/operations.md, "Sizing the pool"); a request that waits
# DB_POOL_TIMEOUT seconds for one is answered 503 with Retry-After. DB_POOL=0 falls back
# to a connection per thread kept CONN_MAX_AGE seconds (e.g. behind PgBouncer).
DB_POOL = env_bool("DB_POOL", True)
# Without the pool: seconds a thread keeps its PostgreSQL connection between requests.
CONN_MAX_AGE = env_int("CONN_MAX_AGE", 60, low=0)
DB_POOL_MIN_SIZE = env_int("DB_POOL_MIN_SIZE", 1, low=0, high=1000)
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 4, low=1, high=1000)
DB_POOL_TIMEOUT = env_int("DB_POOL_TIMEOUT", 5, low=1, high=600)
# PostgreSQL: milliseconds a statement waits for a row lock before giving up (then 503);
# 0 waits as long as it takes.
DB_LOCK_TIMEOUT_MS = env_int("DB_LOCK_TIMEOUT_MS", 10_000, low=0)
if DB_POOL_MIN_SIZE > DB_POOL_MAX_SIZE:
    raise ValueError(
        f"DB_POOL_MIN_SIZE ({DB_POOL_MIN_SIZE}) must not exceed DB_POOL_MAX_SIZE ({DB_POOL_MAX_SIZE})"
    )
if DATABASE_URL:
    if urlsplit(DATABASE_URL).scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ValueError(
            "DATABASE_URL must start with postgres:// (or sqlite:///PATH), "
            f"not {DATABASE_URL.split(':', 1)[0]!r}"
        )
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=CONN_MAX_AGE,
            # A health check is one more round trip at the start of every request (13 %
            # of a pledge POST's time under load). Without it, a connection broken by a
            # database restart fails one request per worker and is then replaced.
            # DB_HEALTH_CHECKS=1 turns it on.
            conn_health_checks=env_bool("DB_HEALTH_CHECKS", False),
        )
    }
    _db = DATABASES["default"]
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _options = _db.setdefault("OPTIONS", {})
        # Server-side parameter binding, and psycopg prepares a statement once it has run
        # five times on a connection: PostgreSQL then stops parsing and planning the same
        # hot statements (a pledge's reservation, the token lookup) on every request.
        # DB_SERVER_SIDE_BINDING=0 turns both off (e.g. behind PgBouncer in transaction mode
        # without prepared-statement support); restart the app servers after a migration.
        if env_bool("DB_SERVER_SIDE_BINDING", True):
            _options.update(server_side_binding=True, prepare_threshold=5)
        if DB_LOCK_TIMEOUT_MS:
            _options["options"] = f"-c lock_timeout={DB_LOCK_TIMEOUT_MS}"
        if DB_POOL:
            # Django's pool keeps connections itself: a connection goes back to the pool
            # at the end of each request (CONN_MAX_AGE must be 0).
            _db["CONN_MAX_AGE"] = 0
            _options["pool"] = {
                "min_size": DB_POOL_MIN_SIZE,
                "max_size": DB_POOL_MAX_SIZE,
                "timeout": DB_POOL_TIMEOUT,
            }
    elif _db["ENGINE"] == "django.db.backends.sqlite3":
        _db.setdefault("OPTIONS", {})["timeout"] = SQLITE_BUSY_TIMEOUT
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": SQLITE_BUSY_TIMEOUT,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=FULL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA cache_size=-64000;"
                ),
            },
            "TEST": {"NAME": os.environ.get("SQLITE_TEST_PATH") or None},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------
# Local memory by default; production sets CACHE_URL-style Redis via REDIS_URL so that
# every app server shares public aggregates.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL and urlsplit(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
    raise ValueError(f"REDIS_URL must start with redis://, rediss:// or unix://, not {REDIS_URL!r}")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background tasks -----------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_dotted_path("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Auth -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/akun/masuk/"
LOGIN_REDIRECT_URL = "/"
# The site's public address, for links made outside a request (`kolaborasi user invite`).
SITE_URL = env_url("SITE_URL") or (
    "http://127.0.0.1:8000" if DEBUG or not ALLOWED_HOSTS else f"https://{ALLOWED_HOSTS[0]}"
)
LOGOUT_REDIRECT_URL = "/"
# Login throttling: lock an account+address after 5 failures (the cool-off, which
# grows with repeated lockouts, is set under "Throttles, client addresses, lockouts").
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, low=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# The lockout page (Bahasa Indonesia / English, HTTP 429).
AXES_LOCKOUT_CALLABLE = "kolaborasi.accounts.auth_views.locked_out"

# Development prints mails to the terminal; production sends through SMTP (EMAIL_HOST...).
_smtp_options: dict[str, object] = {
    "host": os.environ.get("EMAIL_HOST", "localhost"),
    "port": env_int("EMAIL_PORT", 25, low=1, high=65535),
    "username": os.environ.get("EMAIL_HOST_USER", ""),
    "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
    "use_tls": env_bool("EMAIL_USE_TLS", False),
}
_mail_backend = env_dotted_path(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {
    "default": {
        "BACKEND": _mail_backend,
        "OPTIONS": _smtp_options if _mail_backend.endswith("smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "").strip() or "kolaborasi <noreply@localhost>"
if "@" not in parseaddr(DEFAULT_FROM_EMAIL)[1]:
    raise ValueError(
        "DEFAULT_FROM_EMAIL must be an address such as 'kolaborasi <noreply@example.go.id>', "
        f"not {DEFAULT_FROM_EMAIL!r}"
    )

# --- i18n -------------------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # the language switch is remembered
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
# Each app keeps its own translations in <app>/locale/en/LC_MESSAGES/django.po.
TIME_ZONE = env_choice("TIME_ZONE", "Asia/Jakarta", frozenset(zoneinfo.available_timezones()))
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Leaflet and htmx come from the npm lockfile (package-lock.json); nothing is copied by hand.
STATICFILES_DIRS = [
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Uploaded evidence photos under MEDIA_URL are served by the app (on with DEBUG and under
# `make run`); SERVE_MEDIA=0 when the web server serves MEDIA_ROOT itself
# (docs/operations.md).
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Largest delivery evidence photo accepted (bytes); photos are re-encoded on upload.
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 5 * 1024 * 1024, low=1)
# Retention (docs/privacy.md): days a delivery's photos are kept after the delivery date
# (a delivery under an open dispute keeps them until it is settled), and days an account
# whose address was never verified is kept before it is removed. The worker enforces both.
EVIDENCE_RETENTION_DAYS = env_int("EVIDENCE_RETENTION_DAYS", 365, low=30)
UNVERIFIED_ACCOUNT_DAYS = env_int("UNVERIFIED_ACCOUNT_DAYS", 30, low=3)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Security headers -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Behind a TLS-terminating proxy these are on; plain-HTTP local runs turn them off with
# SECURE_SSL_REDIRECT=0 / SECURE_COOKIES=0.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, low=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = ["security.W021"] if not SECURE_HSTS_PRELOAD else []

# Optional tile layer for the map (none by default: the map works offline and under CSP).
MAP_TILE_URL = env_url("MAP_TILE_URL")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
_tile = urlsplit(MAP_TILE_URL.replace("{s}", "*"))
_tile_hosts = [f"{_tile.scheme}://{_tile.netloc}"] if MAP_TILE_URL else []

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:", *_tile_hosts],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Domain settings ------------------------------------------------------------------
# Where the demo looks for reference boundaries (../shared/data/boundaries by default).
BOUNDARIES_DIR = Path(os.environ.get("BOUNDARIES_DIR", BASE_DIR.parent / "shared" / "data" / "boundaries"))
# Days after a pledge's planned delivery before its undelivered remainder is released.
PLEDGE_GRACE_DAYS = env_int("PLEDGE_GRACE_DAYS", 3)
# PostgreSQL: a pledge reserves, counts its hold, is inserted and audited in one statement
# (docs/decisions/0001-sql-fast-paths.md). Not an operator's knob: bench/ turns it off to
# measure the portable path beside it, and tests may, to run that path on PostgreSQL.
PLEDGE_ONE_STATEMENT = True
# The aid type whose full coverage makes an RW "met" on the dashboard.
PRIMARY_AID_TYPE = os.environ.get("PRIMARY_AID_TYPE", "sembako")
# Largest page the public API serves.
API_MAX_LIMIT = env_int("API_MAX_LIMIT", 200, low=1)
# The Ed25519 private key (PEM, PKCS#8) that signs the audit chain's head, kept outside
# the database (docs/decisions/0003-audit-chain.md). Unset: var/audit-signing.key,
# generated on first use with mode 0600. Set: the file must exist (make it once, e.g.
# `openssl genpkey -algorithm ed25519 -out FILE`, and keep a copy); a missing or malformed
# file stops `kolaborasi check`, the worker and every signing with a message naming it.
AUDIT_SIGNING_KEY_FILE = Path(os.environ.get("AUDIT_SIGNING_KEY_FILE") or VAR_DIR / "audit-signing.key")
AUDIT_SIGNING_KEY_CREATE = not os.environ.get("AUDIT_SIGNING_KEY_FILE")
# The public halves of the keys that signed before `kolaborasi audit rotate-key` (PEM public
# keys one after another, # comments): heads they signed keep verifying. Unset: beside the
# key, <key name>-retired.pem (var/audit-signing-retired.pem). A missing file: none yet; a
# malformed one stops `kolaborasi check` and `audit verify` with the line at fault.
AUDIT_RETIRED_KEYS_FILE = (
    Path(os.environ["AUDIT_RETIRED_KEYS_FILE"]) if os.environ.get("AUDIT_RETIRED_KEYS_FILE") else None
)

# --- Load shedding and exactly-once writes ----------------------------------------------
# A request that waited longer than this before the app could start it is answered 503
# with Retry-After, without doing the work: by then its client has often given up, and
# work nobody waits for only makes the queue behind it longer. The wait is measured from
# the proxy's X-Request-Start header and/or the moment kolaborasi's gunicorn worker
# (kolaborasi.core.serving) queued the connection; 0 turns shedding off.
REQUEST_QUEUE_DEADLINE_MS = env_int("REQUEST_QUEUE_DEADLINE_MS", 1000, low=0)
# The Retry-After (seconds) of such a 503.
REQUEST_SHED_RETRY_AFTER = env_int("REQUEST_SHED_RETRY_AFTER", 2, low=0)
# How long the one-time keys of HTML forms and the API's Idempotency-Key records are
# kept: a resubmission within this time returns the first result; the worker removes
# older ones.
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24, low=1)
# --- Fair holds -----------------------------------------------------------------------
# One account must not be able to hold the programme's need: how far ahead a delivery may
# be planned, how many undelivered units an organisation may hold per trust tier, and
# when the operators' overview flags an organisation.


# Latest planned delivery date, in days from today (pledges, extensions, plans).
PLEDGE_HORIZON_DAYS = env_int("PLEDGE_HORIZON_DAYS", 30, low=1, high=3650)
# Individual donors and unverified organisations: undelivered units in total, and the
# percentage of any one need they may hold.
HOLD_LIMIT_SMALL = env_int("HOLD_LIMIT_SMALL", 100, low=0, high=10**9)
HOLD_NEED_SHARE_SMALL = env_int("HOLD_NEED_SHARE_SMALL", 50, low=1, high=100)
# Verified donor organisations, and aggregators' pledges not paid from their balance.
HOLD_LIMIT_VERIFIED = env_int("HOLD_LIMIT_VERIFIED", 5000, low=0, high=10**9)
HOLD_NEED_SHARE_VERIFIED = env_int("HOLD_NEED_SHARE_VERIFIED", 100, low=1, high=100)
# The operators' overview flags an organisation holding more than this percentage of a
# kelurahan's need of one aid type ...
HOLD_FLAG_AREA_SHARE = env_int("HOLD_FLAG_AREA_SHARE", 30, low=1, high=100)
# ... or making more than HOLD_FLAG_BURST_COUNT pledges within HOLD_FLAG_BURST_SECONDS
# (looked for in the last 24 hours).
HOLD_FLAG_BURST_COUNT = env_int("HOLD_FLAG_BURST_COUNT", 30, low=2, high=10**6)
HOLD_FLAG_BURST_SECONDS = env_int("HOLD_FLAG_BURST_SECONDS", 60, low=1, high=86400)
# Hold limits are per organisation: how many unverified donor or aggregator
# organisations one person may own at a time, so that they cannot be multiplied.
ORG_UNVERIFIED_PER_PERSON = env_int("ORG_UNVERIFIED_PER_PERSON", 2, low=1, high=100)


# --- Bounded heavy work and clean input ---------------------------------------------


# Where computed exports/PDFs are kept (one file per result and data version) and the
# lock files that bound concurrent heavy work across the worker processes.
HEAVY_WORK_DIR = Path(os.environ.get("HEAVY_WORK_DIR", VAR_DIR / "heavy"))
# How many exports / PDFs / coverage maps may be computed at once on one app server;
# beyond that a request is answered 503 with Retry-After (HEAVY_RETRY_AFTER seconds).
HEAVY_WORK_SLOTS = env_int("HEAVY_WORK_SLOTS", 2, low=1)
HEAVY_RETRY_AFTER = env_int("HEAVY_RETRY_AFTER", 5, low=1)
# Longest time a cached export is served after an unaudited edit (see core.heavy).
HEAVY_CACHE_SECONDS = env_int("HEAVY_CACHE_SECONDS", 300, low=1)
# Evidence photos: largest width × height decoded, and how many are decoded at once
# per app server (an upload waits up to IMAGE_WORK_WAIT_SECONDS for its turn, then 503).
EVIDENCE_MAX_PIXELS = env_int("EVIDENCE_MAX_PIXELS", 20_000_000, low=1)
IMAGE_WORK_SLOTS = env_int("IMAGE_WORK_SLOTS", 2, low=1)
IMAGE_WORK_WAIT_SECONDS = env_int("IMAGE_WORK_WAIT_SECONDS", 10, low=0)

# --- Accounts: mail delivery, sessions, API tokens, second factor ----------------------


# Mail is sent by the worker; a failed attempt is retried after MAIL_RETRY_SECONDS,
# doubling each time, MAIL_MAX_ATTEMPTS attempts in all (6 and 60 s: about half an hour).
MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 6, low=1)
MAIL_RETRY_SECONDS = env_int("MAIL_RETRY_SECONDS", 60, low=1)
# A logged-in session ends after SESSION_IDLE_MINUTES without a request, and in any
# case SESSION_MAX_HOURS after the login.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 60, low=1)
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12, low=1)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
# Default lifetime of a new API token.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90, low=1)
# Operators, staff and everyone in an aggregator log in with a TOTP code (or a recovery
# code). Wrong codes double the wait before the next try (django-otp's throttling; never 0
# here), up to SECOND_FACTOR_MAX_WAIT_SECONDS: someone who has the password cannot lock
# the owner of the account out of the second step for days.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "kolaborasi")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# The admin never shows an authenticator's key, its QR code or recovery codes: an operator
# resets a device (deletes it), never copies it.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
SECOND_FACTOR_MAX_WAIT_SECONDS = env_int("SECOND_FACTOR_MAX_WAIT_SECONDS", 900, low=1, high=86_400)


# --- Throttles, client addresses, lockouts -----------------------------------------------
# The client's address: see TRUSTED_PROXIES in kolaborasi.environment.
TRUSTED_PROXIES = env_trusted_proxies("TRUSTED_PROXIES")
# Every limit, by name (README: "Throttles"). Counted per client address (after
# TRUSTED_PROXIES; IPv6 per /64), per organisation, or per e-mail address typed in.
THROTTLE_RATES = {
    "login": env_rate("THROTTLE_LOGIN", "30/h"),  # failed logins per address, any usernames
    "register": env_rate("THROTTLE_REGISTER", "10/h"),  # registrations per address
    "register_email": env_rate("THROTTLE_REGISTER_EMAIL", "3/h"),  # per e-mail typed in
    "verify_resend": env_rate("THROTTLE_VERIFY_RESEND", "10/h"),  # per address
    "verify_resend_email": env_rate("THROTTLE_VERIFY_RESEND_EMAIL", "3/h"),  # per e-mail
    "password_reset": env_rate("THROTTLE_PASSWORD_RESET", "10/h"),  # per address
    "password_reset_email": env_rate("THROTTLE_PASSWORD_RESET_EMAIL", "3/h"),  # per e-mail
    "token_failures": env_rate("THROTTLE_TOKEN_FAILURES", "20/10m"),  # bad API tokens per address
    "evidence": env_rate("THROTTLE_EVIDENCE", "100/h"),  # evidence photos per organisation
    "pledges": env_rate("THROTTLE_PLEDGES", "120/m"),  # pledge writes per organisation
    "donations": env_rate("THROTTLE_DONATIONS", "60/h"),  # donation records per organisation
    "exports": env_rate("THROTTLE_EXPORTS", "60/10m"),  # CSV/XLSX/GeoJSON per address
    "report_pdf": env_rate("THROTTLE_REPORT_PDF", "30/10m"),  # weekly report PDF per address
    "map": env_rate("THROTTLE_MAP", "300/10m"),  # map data per address
    "places": env_rate("THROTTLE_PLACES", "600/10m"),  # area picker searches per address
}
# The shared store: Redis when there is one (INCR is atomic), else the database
# (kolaborasi.core.counters: one atomic statement per count; the table comes with migrate).
if REDIS_URL:
    CACHES["throttle"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "throttle",
    }
else:
    CACHES["throttle"] = {"BACKEND": "kolaborasi.core.counters.CounterCache"}
RATELIMIT_USE_CACHE = "throttle"
RATELIMIT_ENABLE = env_bool("THROTTLES_ENABLED", True)
AXES_CLIENT_IP_CALLABLE = "kolaborasi.core.client.client_ip"
# After axes (which refuses a locked username+address) and before the password check:
# refuses every login from an address over THROTTLE_LOGIN, the admin's form included.
AUTHENTICATION_BACKENDS = [
    AUTHENTICATION_BACKENDS[0],
    "kolaborasi.accounts.lockout.LoginThrottleBackend",
    *AUTHENTICATION_BACKENDS[1:],
]
# Lockouts: AXES_FAILURE_LIMIT failures for one username from one address lock that
# pair for LOCKOUT_MINUTES; every further lockout of the same pair within
# LOCKOUT_MEMORY_HOURS doubles it, up to LOCKOUT_MAX_MINUTES (kolaborasi.accounts.lockout).
LOCKOUT_MINUTES = env_int("LOCKOUT_MINUTES", 15, low=1)
LOCKOUT_MAX_MINUTES = env_int("LOCKOUT_MAX_MINUTES", 24 * 60, low=1)
LOCKOUT_MEMORY_HOURS = env_int("LOCKOUT_MEMORY_HOURS", 24, low=1)
AXES_COOLOFF_TIME = "kolaborasi.accounts.lockout.cooloff"
AXES_USE_ATTEMPT_EXPIRATION = True
# Failures while locked do not restart the clock (the lockout is already counted).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False

# --- Health and logs ----------------------------------------------------------------------
# The worker writes its heartbeat this often; /readyz wants one fresher than
# READY_HEARTBEAT_SECONDS.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 30, low=1, high=3600)
READY_HEARTBEAT_SECONDS = env_int("READY_HEARTBEAT_SECONDS", 120, low=1, high=86400)
# Log lines: one JSON object each (time, level, logger, message, request_id) by default
# with DEBUG off; plain text for a person at a terminal with DEBUG on.
LOG_FORMAT = env_choice("LOG_FORMAT", "text" if DEBUG else "json", frozenset({"json", "text"}))
_LOG_LEVELS = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "kolaborasi.core.observability.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "kolaborasi.core.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT}
    },
    "root": {"handlers": ["console"], "level": env_choice("LOG_LEVEL", "INFO", _LOG_LEVELS)},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # 4xx answers (a 409 when a pledge no longer fits, a 404) are the API working as
        # documented; one log line each cost CPU on every request of a busy hour. The
        # server's access log still records them; 5xx are still logged here.
        "django.request": {"level": env_choice("REQUEST_LOG_LEVEL", "ERROR", _LOG_LEVELS)},
    },
}
AXES_VERBOSE = False
# Prometheus metrics at /metrics (docs/operations.md, "Metrics"): only for a scraper that
# sends "Authorization: Bearer METRICS_TOKEN"; unset, the page does not exist (404).
METRICS_TOKEN = env_token("METRICS_TOKEN", min_length=32)
# Where gunicorn's worker processes keep their counts so that one scrape adds them up
# (set by kolaborasi/gunicorn_conf.py, var/metrics by default; emptied when the server
# starts). Unset (runserver, a test): each process counts for itself.
METRICS_MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
