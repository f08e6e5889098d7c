"""Settings for benchmarks/person_search.py's gunicorn: the production settings, unchanged but for
STATIC_ROOT, which points at a directory of the benchmark's own (BENCHMARK_STATIC_ROOT) so that its
`collectstatic` never writes into var/staticfiles, where whitenoise would serve stale files to a
local demo. Transport settings (HTTPS redirect, HSTS, secure `__Host-` cookies) are production's:
the benchmark's clients send `X-Forwarded-Proto: https` as the TLS-terminating proxy does."""

from singleview.settings.production import *  # noqa: F403
from singleview.settings.production import env

STATIC_ROOT = env.path("BENCHMARK_STATIC_ROOT")
