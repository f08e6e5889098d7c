"""Every setting Single View has, read from the environment through one django-environ `env`.

The embedded default is SQLite under var/ with Celery tasks run in-process, so a fresh clone can
run the demo with nothing else installed. local.py, test.py and production.py only override.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

# Lets generic views and querysets be subscripted at run time, as django-stubs types them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Where people reach the portal, for links in emails.
SINGLEVIEW_BASE_URL = env("SINGLEVIEW_BASE_URL", default="http://127.0.0.1:8000")

# The demo shows its accounts' TOTP codes on the sign-in pages. Production refuses it.
SINGLEVIEW_DEMO = env.bool("SINGLEVIEW_DEMO", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "guardian",
    "auditlog",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "health_check",
    "agencies",
    "governance",
    "matching",
    "audit",
    "singleview",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "singleview.middleware.StaffOTPMiddleware",
    "singleview.middleware.SessionTimeoutMiddleware",
    "singleview.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # A read whose access event cannot be committed answers 503 and shows nothing.
    "audit.middleware.AuditUnavailableMiddleware",
    # AxesMiddleware should be last: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "singleview.urls"
WSGI_APPLICATION = "singleview.wsgi.application"

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
                "csp.context_processors.nonce",
                "singleview.context_processors.service",
            ],
        },
    },
]

# On PostgreSQL, parameters are bound by the server and a statement a connection runs
# PREPARE_THRESHOLD times is prepared: the database then plans each of a request's statements once
# per connection instead of on every request (ADR 0016). Set DATABASE_PREPARED_STATEMENTS=false
# behind a pooler that cannot keep prepared statements (PgBouncer's transaction mode before 1.21).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
DATABASE_PREPARE_THRESHOLD = 5


def database_config(url: str) -> dict[str, Any]:
    """One DATABASES entry from a database URL, with the PostgreSQL options above."""
    config: dict[str, Any] = env.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.postgresql" and DATABASE_PREPARED_STATEMENTS:
        config["OPTIONS"] = {
            "server_side_binding": True,
            "prepare_threshold": DATABASE_PREPARE_THRESHOLD,
            **config.get("OPTIONS", {}),
        }
    return config


DATABASES = {
    "default": database_config(
        env("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'singleview.sqlite3'}")
    ),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "agencies.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out sign-ins before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, reading the session's user with their agency and role in one query.
    "agencies.backends.StaffBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "signin"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "signed-out"

# Sessions: signed out after 30 idle minutes and 12 hours after sign-in, whatever happens.
# Sessions are read from the cache (Redis in production) and written through to the database,
# so that every request does not pay for a database read of its session.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# How long a worker process keeps datasets' display details (names, field labels):
# agencies.reference.
REFERENCE_DATA_SECONDS = env.int("REFERENCE_DATA_SECONDS", default=60)
SESSION_IDLE_TIMEOUT = timedelta(minutes=env.int("SESSION_IDLE_MINUTES", default=30))
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=env.int("SESSION_ABSOLUTE_HOURS", default=12))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# A declared purpose holds this long (or until changed); a break-glass purpose much less.
PURPOSE_MAX_AGE = timedelta(hours=env.int("PURPOSE_MAX_HOURS", default=4))
BREAK_GLASS_DURATION = timedelta(minutes=env.int("BREAK_GLASS_MINUTES", default=60))
# Search: at most this many people are listed (the best matches); more asks for more detail.
SEARCH_MAX_RESULTS = env.int("SEARCH_MAX_RESULTS", default=10)
# A search scores at most this many stored records, those agreeing on the most specific search
# keys first: a common family name in a postcode district has thousands.
SEARCH_CANDIDATE_LIMIT = env.int("SEARCH_CANDIDATE_LIMIT", default=500)
# A recorded legitimate relationship with a person holds this long.
LEGITIMATE_RELATIONSHIP_DURATION = timedelta(
    days=env.int("LEGITIMATE_RELATIONSHIP_DAYS", default=30)
)

# Lockout (django-axes): five failures for one account from one address lock it for a cool-off.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)

OTP_TOTP_ISSUER = "Single View"
OTP_TOTP_THROTTLE_FACTOR = 1

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# build/static is made by `make static` (npm): GOV.UK Frontend, compiled with our Sass.
STATICFILES_DIRS = [BASE_DIR / "build" / "static", BASE_DIR / "singleview" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env.path("SINGLEVIEW_MEDIA_ROOT", default=VAR_DIR / "media")

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://singleview"),
}

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

# Celery: configured from these settings (namespace CELERY). In-process by default.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Daily at GOVERNANCE_DAILY_HOUR (local time): expire grant versions past their valid-until date,
# then remind custodians of grants ending within 30 days or due for review.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "governance-grants-expire": {
        "task": "governance.tasks.grants_expire_task",
        "schedule": crontab(hour=env.int("GOVERNANCE_DAILY_HOUR", default=2), minute=0),
    },
    "governance-grant-reminders": {
        "task": "governance.tasks.grant_reminders_task",
        "schedule": crontab(hour=env.int("GOVERNANCE_DAILY_HOUR", default=2), minute=15),
    },
}

EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Single View <no-reply@singleview.invalid>")

# Content Security Policy (django-csp 4): nothing inline without the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=24 * 30)),
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Single View API",
    "DESCRIPTION": "Governed, purpose-checked and audited access to partnership records.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs pages load Swagger UI from our own static files (drf-spectacular-sidecar), never
    # a CDN: the CSP allows scripts and styles from 'self' only.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# django-auditlog: the change history of configuration, kept apart from the access log (audit/).
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {"model": "agencies.user", "exclude_fields": ["password", "last_login"]},
    "agencies.agency",
    "agencies.dataset",
    "agencies.datasetfield",
    "governance.role",
    "governance.purpose",
    "governance.grant",
    "governance.grantversion",
    "governance.signoff",
    "governance.restriction",
    # Custodianship is a guardian object permission: its grants and removals are history too.
    "guardian.userobjectpermission",
    # IG officers' sensitive/VIP flags on persons.
    "audit.sensitiveperson",
)

# Nightly extracts (agencies/extracts, ADR 0008). Sizes in bytes: EXTRACT_MAX_BYTES caps a file as
# uploaded (gzip or not), EXTRACT_MAX_CONTENT_BYTES its CSV content after gunzip. A file with more
# than EXTRACT_ERROR_THRESHOLD (a fraction of its rows) rejected rows is rejected whole. Runs keep
# their first EXTRACT_PROBLEMS_STORED problems (and count the rest). A run silent for
# EXTRACT_RUN_STALE_MINUTES is taken to have died and may be run again. Every received extract is
# processed nightly at EXTRACTS_NIGHTLY_HOUR (local time, 0-23).
EXTRACT_MAX_BYTES = env.int("EXTRACT_MAX_BYTES", default=1024 * 1024 * 1024)
EXTRACT_MAX_CONTENT_BYTES = env.int("EXTRACT_MAX_CONTENT_BYTES", default=8 * 1024 * 1024 * 1024)
EXTRACT_ERROR_THRESHOLD = env.float("EXTRACT_ERROR_THRESHOLD", default=0.02)
EXTRACT_PROBLEMS_STORED = env.int("EXTRACT_PROBLEMS_STORED", default=1000)
EXTRACT_RUN_STALE_MINUTES = env.int("EXTRACT_RUN_STALE_MINUTES", default=60)
EXTRACTS_NIGHTLY_HOUR = env.int("EXTRACTS_NIGHTLY_HOUR", default=1)
CELERY_BEAT_SCHEDULE["agencies-extracts-nightly"] = {
    "task": "agencies.tasks.extracts_nightly_task",
    "schedule": crontab(hour=EXTRACTS_NIGHTLY_HOUR, minute=0),
}
# Uploaded extract files are deleted this long after they were received, once their processing
# has finished (the extract, its SHA-256 and its report are kept), daily at the nightly hour:30.
EXTRACT_FILE_RETENTION = timedelta(days=env.int("EXTRACT_FILE_RETENTION_DAYS", default=30))
CELERY_BEAT_SCHEDULE["agencies-extract-files-expire"] = {
    "task": "agencies.tasks.extract_files_expire_task",
    "schedule": crontab(hour=EXTRACTS_NIGHTLY_HOUR, minute=30),
}

# The access log (audit/, ADR 0010). Events are sealed into a hash chain every minute, in batches
# of at most AUDIT_SEAL_BATCH_SIZE; a checkpoint of the chain head is recorded every
# AUDIT_CHECKPOINT_MINUTES, signed (HMAC-SHA256) with AUDIT_SIGNING_KEY, or the contents of the
# file AUDIT_SIGNING_KEY_FILE: at least 32 characters, kept outside the database. PostgreSQL
# partitions are made AUDIT_PARTITION_MONTHS_AHEAD months ahead. The web, worker and beat
# processes connect as DATABASE_APP_ROLE, which `manage.py audit_db_roles` creates (INSERT and
# SELECT only on the audit tables); migrations run as the tables' owner.
AUDIT_SIGNING_KEY = env("AUDIT_SIGNING_KEY", default="")
AUDIT_SIGNING_KEY_FILE = env("AUDIT_SIGNING_KEY_FILE", default="")
AUDIT_CHECKPOINT_INTERVAL = timedelta(minutes=env.int("AUDIT_CHECKPOINT_MINUTES", default=60))
AUDIT_SEAL_BATCH_SIZE = env.int("AUDIT_SEAL_BATCH_SIZE", default=20_000)
AUDIT_PARTITION_MONTHS_AHEAD = env.int("AUDIT_PARTITION_MONTHS_AHEAD", default=3)
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", default="singleview_app")
DATABASE_APP_PASSWORD = env("DATABASE_APP_PASSWORD", default="")
CELERY_BEAT_SCHEDULE["audit-seal"] = {
    "task": "audit.tasks.audit_seal_task",
    "schedule": 60.0,
}

# Alerts on the access log (audit/alerts.py, ADR 0013), raised every ALERTS_EVERY_SECONDS over the
# events of the last ALERTS_LOOKBACK_MINUTES (raising twice is harmless: each alert has a key).
# Working hours are local [ALERT_WORKING_START_HOUR, ALERT_WORKING_END_HOUR), weekdays unless
# ALERT_WEEKENDS_ARE_WORKING_DAYS. Fishing: ALERT_FISHING_SEARCHES searches with results and no
# person viewed within ALERT_WINDOW_MINUTES; denials: ALERT_DENIALS refusals in that window. A
# volume spike needs at least ALERT_VOLUME_MINIMUM persons viewed in a day, above 3 x the user's
# daily median over ALERT_BASELINE_DAYS and the 95th percentile of their peers that day.
ALERTS_EVERY_SECONDS = env.int("ALERTS_EVERY_SECONDS", default=300)
ALERTS_LOOKBACK_MINUTES = env.int("ALERTS_LOOKBACK_MINUTES", default=30)
ALERT_WORKING_START_HOUR = env.int("ALERT_WORKING_START_HOUR", default=7)
ALERT_WORKING_END_HOUR = env.int("ALERT_WORKING_END_HOUR", default=19)
ALERT_WEEKENDS_ARE_WORKING_DAYS = env.bool("ALERT_WEEKENDS_ARE_WORKING_DAYS", default=False)
ALERT_WINDOW_MINUTES = env.int("ALERT_WINDOW_MINUTES", default=60)
ALERT_FISHING_SEARCHES = env.int("ALERT_FISHING_SEARCHES", default=10)
ALERT_DENIALS = env.int("ALERT_DENIALS", default=5)
ALERT_VOLUME_MINIMUM = env.int("ALERT_VOLUME_MINIMUM", default=20)
ALERT_BASELINE_DAYS = env.int("ALERT_BASELINE_DAYS", default=28)
CELERY_BEAT_SCHEDULE["audit-alerts-raise"] = {
    "task": "audit.tasks.alerts_raise_task",
    "schedule": float(ALERTS_EVERY_SECONDS),
}
