"""The embedded default for `make demo`: SQLite under var/, Celery in-process, demo sign-ins."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-demo-key-never-use-in-production")
SINGLEVIEW_DEMO = env.bool("SINGLEVIEW_DEMO", default=True)
CELERY_TASK_ALWAYS_EAGER = True
