"""Production: settings refuse to start without their secrets; docker-compose is complete."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "singleview.settings.production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "singleview.example.org",
    "DATABASE_URL": "postgres://singleview@db.example.org:5432/singleview",
    "REDIS_URL": "redis://redis.example.org:6379/0",
    "AUDIT_SIGNING_KEY": secrets.token_urlsafe(32),
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("missing", REQUIRED)
def test_production_refuses_to_start_without(missing):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_production_refuses_to_start_without_an_audit_signing_key():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "AUDIT_SIGNING_KEY"}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "Set the AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE" in result.stderr


def test_production_refuses_demo_mode():
    result = _manage("check", env={**PRODUCTION_ENV, "SINGLEVIEW_DEMO": "true"})

    assert result.returncode != 0
    assert "SINGLEVIEW_DEMO must not be set in production" in result.stderr


def test_check_deploy_prints_no_warnings():
    result = _manage("check", "--deploy", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _documented_variables() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_compose_runs_the_five_services_with_health_checks():
    services = _compose()["services"]

    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name


@pytest.mark.parametrize(
    ("service", "entry_point"),
    [
        ("web", "singleview/wsgi.py"),
        ("worker", "singleview/celery.py"),
        ("beat", "singleview/celery.py"),
        ("migrate", "manage.py"),
    ],
)
def test_compose_commands_exist_in_the_project(service, entry_point):
    command = _compose()["services"][service]["command"]
    executable = command[0]
    dependencies = (ROOT / "pyproject.toml").read_text()

    assert (ROOT / entry_point).is_file()
    assert executable in {"python", "sh"} or f'"{executable}' in dependencies.replace("[redis]", "")
    assert any(entry_point.split("/")[0] in part or "manage.py" in part for part in command)


def test_every_management_command_compose_runs_exists():
    from django.core.management import get_commands

    text = (ROOT / "docker-compose.yml").read_text()
    named = set(re.findall(r"manage\.py\s+([a-z_]+)", text))

    assert {"migrate", "audit_db_roles"} <= named
    assert named <= set(get_commands())


def test_every_compose_variable_is_documented():
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)\}", text))

    assert used
    assert used <= _documented_variables()


def test_every_required_production_variable_is_documented():
    assert set(REQUIRED) <= _documented_variables()


def test_compose_builds_an_image_from_the_project():
    app = _compose()["services"]["web"]

    assert (ROOT / app["build"]["dockerfile"]).is_file()


def test_the_web_servers_access_log_never_holds_query_strings():
    """API searches carry personal details in the query string: the log keeps the path only."""
    command = " ".join(_compose()["services"]["web"]["command"])

    assert "%(U)s" in command
    assert "%(r)s" not in command
    assert "%(q)s" not in command
