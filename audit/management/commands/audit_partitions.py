"""Make the coming monthly partitions of the access log (PostgreSQL) and list them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from audit.services import partitions_ensure


class Command(BaseCommand):
    help = "Make the access log's monthly partitions for this month and the coming ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months", type=int, default=None, help="Months ahead (default 3).")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("Only PostgreSQL partitions the access log; nothing to do.")
            return
        made = partitions_ensure(months_ahead=options["months"])
        self.stdout.write(f"Made {made} partitions.")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'audit_accessevent'::regclass ORDER BY c.relname"
            )
            for name, bounds in cursor.fetchall():
                self.stdout.write(f"{name}: {bounds}")
            cursor.execute("SELECT count(*) FROM audit_accessevent_default")
            stray = cursor.fetchone()[0]
        if stray:
            self.stderr.write(
                f"{stray} events are in the default partition: partitions fell behind. Move them "
                "in a maintenance window (see docs/adr/0010-audit-log.md)."
            )
