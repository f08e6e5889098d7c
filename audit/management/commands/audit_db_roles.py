"""Create or update the application's PostgreSQL role: INSERT and SELECT only on the audit tables.

Run as the role that owns the tables (the one migrations run as), after every `migrate`. The web,
worker and beat processes then connect as DATABASE_APP_ROLE.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from audit.services import app_role_sync


class Command(BaseCommand):
    help = (
        "Create or update the application database role (DATABASE_APP_ROLE, password from "
        "DATABASE_APP_PASSWORD): all rights on ordinary tables, only INSERT and SELECT on the "
        "audit tables. Idempotent; run after every migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", default=None, help="Role name (default DATABASE_APP_ROLE).")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("Database roles are for PostgreSQL; nothing to do on SQLite.")
            return
        role = options["role"] or settings.DATABASE_APP_ROLE
        try:
            statements = app_role_sync(role=role, password=settings.DATABASE_APP_PASSWORD)
        except ValueError as error:
            raise CommandError(str(error)) from error
        for statement in statements:
            self.stdout.write(f"  {statement}")
        self.stdout.write(self.style.SUCCESS(f"Role {role} is set up."))
