"""The README opens with the two commands, the Makefile has both targets, and CI runs make test."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(target: str) -> str:
    result = subprocess.run(  # noqa: S603 - fixed arguments
        ["make", "--dry-run", "--always-make", target],  # noqa: S607 - make from PATH
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", readme, flags=re.DOTALL).group(1)

    assert readme.index("```sh") < 40
    assert first_block.splitlines()[0].startswith("make demo")
    assert first_block.splitlines()[1].startswith("make test")


def test_make_demo_migrates_seeds_and_serves_on_sqlite():
    commands = _dry_run("demo")

    assert "DJANGO_SETTINGS_MODULE=singleview.settings.local" in commands
    assert "manage.py migrate" in commands
    assert "manage.py seed_demo" in commands
    assert "manage.py runserver 127.0.0.1:8000" in commands


def test_make_test_runs_lint_types_and_the_suite():
    commands = _dry_run("test")

    assert "singleview.connectivity" in commands
    assert "ruff check" in commands
    assert "mypy" in commands
    assert "-m pytest" in commands


def test_ci_calls_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
