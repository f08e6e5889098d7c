"""What one search or person page costs, measured inside one process: for comparing two versions
of the code on a machine whose speed changes from minute to minute.

    .venv/bin/python benchmarks/request_cost.py [--kinds search page] [--requests 300]
        [--profile 40]

It uses benchmarks/person_search.py's store (`singleview_person_bench`, loaded there first with
`--load-only`), its production settings and its practitioners, and calls the WSGI application
directly (no gunicorn, no network): the same middleware, views, queries, audit events and
templates. For each kind it prints, per request: Python function calls (counted by cProfile:
the same code and store give the same count whatever the machine's speed, so two versions
compare by it), then this process's CPU, its PostgreSQL backend's CPU and the wall time of the
same requests without the profiler, with the machine's reference loop beside them. --profile N
prints cProfile's N costliest functions by cumulative time as well.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import person_search as bench  # benchmarks/person_search.py, beside this script
from machine import reference_ns  # benchmarks/machine.py, beside this script

WARMUP = 50


def _application() -> Callable[..., Any]:
    """The production WSGI application on the benchmark's store, static files collected."""
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/singleview")
    os.environ.update(
        bench._server_env(
            url=bench._bench_url(base_url), static_root=Path(tempfile.mkdtemp(prefix="cost-"))
        )
    )
    sys.path.insert(0, str(bench.ROOT))  # this checkout's code, whatever is installed
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    call_command("collectstatic", "--noinput", "-v", "0")
    return get_wsgi_application()


def _call(
    application: Callable[..., Any], method: str, path: str, cookie: str, body: str = ""
) -> tuple[str, list[tuple[str, str]]]:
    """One request through the application, as gunicorn behind the TLS proxy would pass it."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_COOKIE": cookie,
        "HTTP_USER_AGENT": "singleview-benchmark",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body.encode()),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    if body:
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        environ["HTTP_ORIGIN"] = "https://127.0.0.1"
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        answer.update(status=status, headers=headers)

    b"".join(application(environ, start_response))
    return answer["status"], answer["headers"]


def _backend_cpu() -> float:
    """CPU seconds used so far by this process's PostgreSQL backend."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--kinds", nargs="+", choices=("search", "page"), default=["search", "page"]
    )
    parser.add_argument("--requests", type=int, default=300, help="Measured requests per kind.")
    parser.add_argument("--profile", type=int, default=0, help="Show this many functions.")
    arguments = parser.parse_args()

    application = _application()
    clients = bench.clients_prepare(count=20, seed=2026)
    for client in clients:
        cookie = f"{bench.SESSION_COOKIE}={client.session_key}"
        status, headers = _call(application, "GET", "/practitioner/search/", cookie)
        tokens = [
            value.split("=", 1)[1].split(";", 1)[0]
            for name, value in headers
            if name.lower() == "set-cookie" and value.strip().startswith(bench.CSRF_COOKIE)
        ]
        if not status.startswith("200") or not tokens:
            raise SystemExit(f"{client.username} could not open the search page: {status}")
        client.csrf_token = tokens[0]

    for kind in arguments.kinds:
        requests = []
        for number in range(WARMUP + arguments.requests):
            client = clients[number % len(clients)]
            cookie = (
                f"{bench.SESSION_COOKIE}={client.session_key}; "
                f"{bench.CSRF_COOKIE}={client.csrf_token}"
            )
            step = number // len(clients)
            if kind == "search":
                body = f"csrfmiddlewaretoken={client.csrf_token}&{client.searches[step]}"
                requests.append(("POST", "/practitioner/search/", cookie, body))
            else:
                requests.append(("GET", client.pages[step], cookie, ""))
        for request in requests[:WARMUP]:
            _call(application, *request)
        measured = requests[WARMUP:]

        reference_before = reference_ns()
        backend_before = _backend_cpu()
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        failed = sum(not _call(application, *request)[0].startswith("200") for request in measured)
        cpu = time.process_time() - cpu_before
        wall = time.perf_counter() - wall_before
        backend = _backend_cpu() - backend_before
        reference = (reference_before + reference_ns()) / 2
        # The same requests again under cProfile, for the count (its timing would skew the above).
        profiler = cProfile.Profile()
        profiler.enable()
        for request in measured:
            _call(application, *request)
        profiler.disable()
        stats = pstats.Stats(profiler)
        calls = vars(stats)["total_calls"]  # an attribute typeshed leaves out
        count = len(measured)
        print(
            f"{kind}: {count} requests ({failed} not 200), per request: "
            f"{calls / count:,.0f} Python function calls (cProfile), "
            f"{cpu / count * 1000:.2f} ms CPU, {backend / count * 1000:.2f} ms PostgreSQL CPU, "
            f"{wall / count * 1000:.2f} ms wall; reference loop {reference:.0f} ns",
            flush=True,
        )
        if arguments.profile:
            stats.sort_stats("cumulative").print_stats(arguments.profile)


if __name__ == "__main__":
    main()
