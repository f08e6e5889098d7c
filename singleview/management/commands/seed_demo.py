"""python manage.py seed_demo [--people N] [--seed S]: the demo partnership and its extracts."""

from __future__ import annotations

import base64
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agencies.population import MAX_PEOPLE
from singleview.demo import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create the demo partnership, its staff and grants, and its synthetic extract files."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--people", type=int, default=2000, help="Synthetic people to make.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (deterministic).")
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="Folder for the extract files (default: var/demo/extracts).",
        )

    def handle(self, *args: Any, people: int, seed: int, out: Path | None, **options: Any) -> None:
        if not 1 <= people <= MAX_PEOPLE:
            raise CommandError(f"--people must be between 1 and {MAX_PEOPLE:,}.")
        out_dir = out or Path(settings.VAR_DIR) / "demo" / "extracts"
        out_dir.mkdir(parents=True, exist_ok=True)

        def progress(done: int, total: int) -> None:
            sys.stderr.write(f"\rWriting synthetic extracts: {done:,} of {total:,} people")
            if done == total:
                sys.stderr.write("\n")

        result = demo_seed(people=people, seed=seed, extracts_dir=out_dir, progress=progress)
        self.stdout.write(
            "Created the demo partnership."
            if result.created
            else "The demo partnership already exists; nothing was changed."
        )
        if result.extracts is not None:
            self.stdout.write(
                f"Wrote {result.extracts.total_records:,} records for {people:,} people into "
                f"{out_dir} (ground truth in {result.extracts.ground_truth_path.name})."
            )
        for code, status in result.loaded.items():
            self.stdout.write(f"Extract {code}: {status}.")
        self.stdout.write("")
        self.stdout.write(f"Demo sign-ins (every password is {DEMO_PASSWORD}):")
        self.stdout.write(
            f"{'username':<34} {'user type':<18} {'role':<28} {'TOTP secret (base32)':<34} agency"
        )
        for account in result.accounts:
            secret = base64.b32encode(bytes.fromhex(account.totp_key_hex)).decode().rstrip("=")
            self.stdout.write(
                f"{account.username:<34} {account.user_type:<18} {account.role:<28} "
                f"{secret:<34} {account.agency}"
            )
        self.stdout.write("The sign-in code pages also show each demo account's current code.")
