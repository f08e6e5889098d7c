"""Write the latest checkpoint to a file, to keep outside the database (signed with the key)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.models import AuditCheckpoint
from audit.services import checkpoint_create, checkpoint_document


class Command(BaseCommand):
    help = (
        "Export the latest access log checkpoint as JSON (to a file, or stdout with --out -). "
        "Keep the files somewhere the database's administrators cannot change."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="File to write, or - for stdout.")
        parser.add_argument(
            "--create", action="store_true", help="Record a new checkpoint first if any is due."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["create"]:
            checkpoint_create(force=True)
        checkpoint = AuditCheckpoint.objects.order_by("-seal_number").first()
        if checkpoint is None:
            raise CommandError("There is no checkpoint yet: run audit_seal --checkpoint first.")
        if not checkpoint.signature:
            self.stderr.write("Warning: this checkpoint is unsigned (no AUDIT_SIGNING_KEY).")
        text = json.dumps(checkpoint_document(checkpoint=checkpoint), indent=2, sort_keys=True)
        if options["out"] == "-":
            self.stdout.write(text)
            return
        Path(options["out"]).write_text(text + "\n")
        self.stdout.write(
            f"Checkpoint at seal {checkpoint.seal_number} written to {options['out']}."
        )
