"""Is a service at a URL reachable? Used by the test settings and by `make test`.

`python -m singleview.connectivity` checks PostgreSQL and Redis. With CI=true either being down is
an error with a clear message; otherwise an unreachable PostgreSQL means the suite runs on SQLite.
"""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlsplit

DEFAULT_PORTS = {"postgres": 5432, "postgresql": 5432, "redis": 6379}


def reachable(url: str, *, timeout: float = 1.0) -> bool:
    """True when something accepts TCP connections at the URL's host and port."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return True
    host = parts.hostname or "127.0.0.1"
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/singleview")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    in_ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    problems = [
        f"{name} is not reachable at {url}."
        for name, url in (("PostgreSQL", database_url), ("Redis", redis_url))
        if not reachable(url)
    ]
    if problems and in_ci:
        for problem in problems:
            print(f"make test: {problem}", file=sys.stderr)
        print(
            "make test: CI=true needs both services. Start them (see DEVELOPERS.md) and retry.",
            file=sys.stderr,
        )
        return 1
    for problem in problems:
        print(f"make test: {problem} Tests that need it will be skipped.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
