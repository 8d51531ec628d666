"""Fido's one settings module, driven by environment variables.

Two modes share it. The embedded default (`FIDO_EMBEDDED=true`, written to var/.env by
`./dev run`) uses SQLite under var/ and a filesystem Celery broker, so a newcomer needs no server.
Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY and ALLOWED_HOSTS explicitly; a
malformed or missing value stops the process at start-up (see config/env.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from config.env import (
    env_bool,
    env_broker,
    env_database,
    env_email,
    env_int,
    env_list,
    env_str,
    env_timezone,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FIDO_VAR_DIR", BASE_DIR / "var"))


def _read_local_env(path: Path) -> None:
    """Load var/.env (written by ./dev) without overriding the real environment."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            os.environ.setdefault(key.strip(), value.strip())


_read_local_env(VAR_DIR / ".env")

EMBEDDED = env_bool("FIDO_EMBEDDED", default=False)
DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"] if EMBEDDED else None)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "template_partials",
    "csp",
    "access",
    "portfolio",
    "credit",
    "scoring",
    "compliance",
    "caring",
    "recovery",
    "experience",
    "insights",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "access.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "access.middleware.DomainErrorMiddleware",
    "insights.home.ClientPortalMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "access.context_processors.roles",
            ],
            # Money, numbers, percentages and phone links on every page, formatted by locale
            # (`{{ amount|money:currency }}`), without a {% load %} in each template.
            "builtins": ["portfolio.templatetags.formatting"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_default_db = f"sqlite:///{VAR_DIR / 'fido.sqlite3'}" if EMBEDDED else None
DATABASES = {"default": env_database("DATABASE_URL", default=_default_db)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let the web server, worker and beat share one file
    # without "database is locked" errors on concurrent writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", default=60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Login throttling: this many failures for one username from one address lock it for a while.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", default=5, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", default=900, minimum=1)
# ... and this many failures from one address, across usernames, within the window lock the
# address (slow password spraying). An office behind one NAT shares the count: keep it roomy.
LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", default=20, minimum=1)
LOGIN_ADDRESS_WINDOW_SECONDS = env_int("LOGIN_ADDRESS_WINDOW_SECONDS", default=3600, minimum=1)
# Every password check goes through the throttle (web, admin, API token): access/backends.py.
AUTHENTICATION_BACKENDS = ["access.backends.ThrottledModelBackend"]

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("it", _("Italian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_timezone("TIME_ZONE", default="Europe/Rome")
USE_I18N = True
USE_TZ = True
# English dates and times as Europe writes them (config/formats/en); Italian is Django's own.
FORMAT_MODULE_PATH = ["config.formats"]

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "static"]
# htmx and Chart.js come from the npm registry (package.json); ./dev installs them.
for _prefix, _folder in (
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
):
    if _folder.is_dir():
        STATICFILES_DIRS.append((_prefix, _folder))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Production serves hashed, compressed files collected by collectstatic; the embedded
        # mode and tests serve straight from the source folders.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or EMBEDDED
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or EMBEDDED
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Uploaded import files may be large; they stream to disk, never into memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMPORT_MAX_FILE_BYTES = env_int("IMPORT_MAX_FILE_BYTES", default=512 * 1024 * 1024, minimum=1)
# Days an uploaded import file (personal data) is kept once its job is over.
IMPORT_FILE_RETENTION_DAYS = env_int("IMPORT_FILE_RETENTION_DAYS", default=30, minimum=1)
# Trained scoring models (skops files); every worker that scores must see the same folder.
SCORING_ARTIFACT_DIR = Path(env_str("SCORING_ARTIFACT_DIR", default=str(VAR_DIR / "models")))

# --- Cache (login throttling, health) -------------------------------------------------------
_cache_url = env_str("CACHE_URL", default="")
# "throttle" holds the API's request rates (access/rate_limits.py), read and written on every
# API request: Redis when set, else each process's memory. Never the database cache, which
# would add four queries to every request. Login failures stay in "default", shared by every
# process, because a lockout must hold whichever process answers.
if _cache_url:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": _cache_url},
              "throttle": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                           "LOCATION": _cache_url, "KEY_PREFIX": "throttle"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                          "LOCATION": "fido_cache"},
              "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                           "LOCATION": "fido-throttle"}}

# --- E-mail ---------------------------------------------------------------------------------
_email = env_email("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="fido@localhost")

# --- Celery ---------------------------------------------------------------------------------
_broker_dir = VAR_DIR / "broker"
CELERY_BROKER_URL = env_broker("CELERY_BROKER_URL", default="filesystem://" if EMBEDDED else None)
if CELERY_BROKER_URL.startswith("filesystem"):
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # kombu keeps its exchange tables in ./control unless told otherwise.
        "control_folder": str(_broker_dir / "control"),
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", default=3600, minimum=1)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Installed into django-celery-beat's tables at beat start-up; editable in the admin after that.
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "fido.heartbeat_task", "schedule": 30.0},
    # Credit: approvers reminded of requests past their service time; limits due for review
    # (review date reached, or the score two bands worse than at approval).
    "credit-reminders": {"task": "credit.credit_reminders_send_task", "schedule": 15 * 60.0},
    "credit-reviews": {"task": "credit.credit_reviews_open_task", "schedule": 6 * 3600.0},
    # Caring: plan today's courtesy calls every hour (catches up after any outage; idempotent)
    # and cancel calls whose invoices were paid or disputed since, every 15 minutes.
    "caring-plan": {"task": "caring.plan_task", "schedule": 3600.0},
    "caring-sweep": {"task": "caring.sweep_task", "schedule": 900.0},
    # Collections: open, refresh, close and re-prioritise every client's cases every hour
    # (idempotent; catches up after an outage), and judge promises whose grace days ended.
    "recovery-cases": {"task": "recovery.cases_refresh_task", "schedule": 3600.0},
    "recovery-promises": {"task": "recovery.promises_evaluate_task", "schedule": 3600.0},
    # ... and judge payment-plan instalments the same way (breach, completion).
    "recovery-instalments": {"task": "recovery.instalments_evaluate_task", "schedule": 3600.0},
    # Imports: drop the staging tables kept for commits that will not come (see
    # portfolio/imports/services.py, `import_stages_expire`).
    "import-stages-expire": {"task": "portfolio.import_stages_expire_task", "schedule": 3600.0},
    # ... and delete uploaded files once IMPORT_FILE_RETENTION_DAYS have passed.
    "import-files-purge": {"task": "portfolio.import_files_purge_task",
                           "schedule": crontab(hour=3, minute=15)},
    # Experience: schedule transactional surveys after the events of the look-back window
    # (idempotent; catches up after an outage), send the due ones through the contact
    # engine, and expire links nobody opened in time (see docs/experience-surveys.md).
    "experience-schedule": {"task": "experience.surveys_schedule_task", "schedule": 900.0},
    "experience-dispatch": {"task": "experience.surveys_dispatch_task", "schedule": 300.0},
    "experience-expire": {"task": "experience.surveys_expire_task", "schedule": 3600.0},
    # Experience: draw each relational programme's random sample when its period has come
    # (idempotent: a period's sample is drawn once; see experience/sampling.py).
    "experience-relational-samples": {"task": "experience.relational_samples_task",
                                      "schedule": 3600.0},
    # Nightly risk scores of every client with a champion (or proposed) model.
    "scoring-nightly": {"task": "scoring.scoring_nightly_task",
                        "schedule": crontab(hour=2, minute=30)},
}

# Caring planner: window invoices per transaction (see caring/planning.py for the measured cost).
CARING_PLAN_CHUNK_INVOICES = env_int("CARING_PLAN_CHUNK_INVOICES", default=100_000, minimum=1)

# Experience surveys (docs/experience-surveys.md). Links in messages start with the public
# address of the survey page; texts go through a pluggable gateway (experience/sms.py), the
# default of which only logs. The trigger reads events this many hours back, so a run after
# an outage catches up.
FIDO_PUBLIC_URL = env_str("FIDO_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
EXPERIENCE_SMS_BACKEND = env_str("EXPERIENCE_SMS_BACKEND",
                                 default="experience.sms.LoggingBackend")
EXPERIENCE_TRIGGER_LOOKBACK_HOURS = env_int("EXPERIENCE_TRIGGER_LOOKBACK_HOURS", default=72,
                                            minimum=1)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "access.pagination.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "access.schema.FidoAutoSchema",
    "EXCEPTION_HANDLER": "access.api.exception_handler",
    # Every endpoint is rate limited per user (per address when anonymous); the token endpoint
    # has its own scope ("login") on top of the shared login failure count.
    "DEFAULT_THROTTLE_CLASSES": [
        "access.rate_limits.AnonRateThrottle",
        "access.rate_limits.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "1200/min", "login": "10/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fido API",
    "DESCRIPTION": "Credit caring and collections: portfolio ledger, imports and more.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs page are for signed-in users only: the schema maps every
    # endpoint and field, which an anonymous caller has no business reading.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI is served from our own static files (the sidecar package), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `kind`; name each choice set after its model in the schema.
    "ENUM_NAME_OVERRIDES": {
        "ClientKindEnum": "portfolio.models.Client.Kind",
        "DebtorKindEnum": "portfolio.models.Debtor.Kind",
        "CreditNoteKindEnum": "portfolio.models.CreditNote.Kind",
        # Caring policies and scoring models share one set of segments (all, business,
        # consumer); a collection case's segment is a debtor kind (DebtorKindEnum).
        "SegmentEnum": "caring.models.CaringPolicy.Segment",
        "CaseStageEnum": "recovery.models.CollectionCase.Stage",
        "ContactChannelEnum": "recovery.models.CollectionContact.Channel",
        "ContactMoodEnum": "recovery.models.CollectionContact.Mood",
        # A dispute's reason, named "reason" on a dispute and "dispute_reason" on a contact.
        "DisputeReasonEnum": "recovery.models.Dispute.Reason",
        "PaymentReversalReasonEnum": "portfolio.models.PaymentReversal.Reason",
    },
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", default=8 * 3600, minimum=60)
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every response: scripts, styles, fonts and
# connections only from our own origin (htmx, Chart.js and Swagger UI are served from
# static files), no inline script or style, no plugins, no framing, forms post only here.
# Templates keep their JavaScript in static/js and their CSS in static/css for this reason.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # Swagger UI draws its icons as data: URIs
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Permissions-Policy (django-permissions-policy): the back office needs none of the browser's
# powerful features; agents dial from their phones, not through the browser.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in ("accelerometer", "autoplay", "camera", "display-capture", "geolocation",
                    "gyroscope", "magnetometer", "microphone", "midi", "payment",
                    "publickey-credentials-get", "screen-wake-lock", "usb", "xr-spatial-tracking")
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and not EMBEDDED:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
}
