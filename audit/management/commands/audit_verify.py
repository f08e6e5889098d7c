"""Check the access log against its hash chain: exit 0 when intact, 1 naming the first problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.sealing import signing_key
from audit.selectors import chain_verify


class Command(BaseCommand):
    help = (
        "Recompute the access log's hash chain and compare it with the seals and checkpoints. "
        "Exits 0 when intact, 1 naming the first altered, inserted or missing event."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint",
            type=Path,
            help="An exported checkpoint file (audit_checkpoint_export) to compare the log with; "
            "catches a rewritten or truncated log.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        document = None
        if options["checkpoint"] is not None:
            try:
                document = json.loads(Path(options["checkpoint"]).read_text())
            except (OSError, ValueError) as error:
                raise CommandError(f"Cannot read the checkpoint file: {error}") from error
        report = chain_verify(key=signing_key(), checkpoint=document)
        for note in report.notes:
            self.stdout.write(note)
        summary = (
            f"{report.seals} seals, {report.events} sealed events and {report.checkpoints} "
            f"checkpoints checked; {report.unsealed} events not sealed yet."
        )
        if report.intact:
            self.stdout.write(self.style.SUCCESS(f"The access log is intact: {summary}"))
            return
        for problem in report.problems:
            self.stderr.write(problem.message)
        raise CommandError(
            f"The access log is NOT intact ({len(report.problems)} problems; {summary}) "
            f"First: {report.problems[0].message}",
            returncode=1,
        )
