"""Seal new access events now (the minutely Celery job does the same), optionally checkpoint."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit.services import checkpoint_create, events_seal


class Command(BaseCommand):
    help = "Seal every committed access event into the hash chain; --checkpoint records the head."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument(
            "--checkpoint", action="store_true", help="Record a checkpoint now, even if not due."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seals = events_seal(batch_size=options["batch_size"])
        sealed = sum(seal.event_count for seal in seals)
        self.stdout.write(f"Sealed {sealed} events in {len(seals)} seals.")
        if options["checkpoint"]:
            checkpoint = checkpoint_create(force=True)
            if checkpoint is None:
                self.stdout.write("No new checkpoint: nothing sealed since the last one.")
            else:
                signed = "signed" if checkpoint.signature else "unsigned (no AUDIT_SIGNING_KEY)"
                self.stdout.write(f"Checkpoint at seal {checkpoint.seal_number}, {signed}.")
