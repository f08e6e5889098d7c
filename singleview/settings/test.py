"""The test suite: PostgreSQL and Redis, or SQLite (outside CI) when PostgreSQL is unreachable."""

import os

from singleview.connectivity import reachable

from .base import *  # noqa: F403
from .base import database_config, env

SECRET_KEY = "insecure-test-key"  # noqa: S105 - test settings only
DEBUG = False
SINGLEVIEW_DEMO = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

TEST_DATABASE_URL = env("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/singleview")
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
POSTGRES_AVAILABLE = reachable(TEST_DATABASE_URL)
if POSTGRES_AVAILABLE:
    DATABASES = {"default": database_config(TEST_DATABASE_URL)}
    # One test database per run, so that concurrent runs on one machine never collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_singleview_{os.getpid()}"}
else:
    DATABASES = {"default": env.db_url_config("sqlite:///:memory:")}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Static files come from the finders (build/static is made by `make static`).
STATIC_ROOT = BASE_DIR / "build" / "static"  # noqa: F405
WHITENOISE_USE_FINDERS = True
