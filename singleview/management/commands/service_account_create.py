"""python manage.py service_account_create AGENCY_CODE ROLE_CODE USERNAME [--partnership SLUG]
[--revoke-others]: a practitioner account for a program (no password: it cannot sign in to the
browser), and a new API token for it, printed once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from agencies.models import Agency
from agencies.service_accounts import service_account_create, service_account_token_create
from governance.models import Role


class Command(BaseCommand):
    help = (
        "Create a service account (a practitioner with the given role at the agency, which "
        "cannot sign in to the browser), or reuse it, and print a new API token for it once. "
        "The token expires after API_TOKEN_TTL_HOURS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agency_code", help="The agency's code (ODS code where it has one).")
        parser.add_argument("role_code", help="The role whose grants the account reads under.")
        parser.add_argument("username", help="The account's username, for example svc-ehr.")
        parser.add_argument(
            "--partnership",
            help="The partnership's slug; needed only where several partnerships have an agency "
            "with this code.",
        )
        parser.add_argument(
            "--revoke-others",
            action="store_true",
            help="Revoke the account's other tokens at once (rotating the token).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        agency = self._agency(options["agency_code"], options["partnership"])
        role = Role.objects.filter(
            partnership_id=agency.partnership_id, code=options["role_code"]
        ).first()
        if role is None:
            raise CommandError(
                f"{agency.partnership.name} has no role with the code {options['role_code']}."
            )
        try:
            account = service_account_create(agency=agency, role=role, username=options["username"])
            token_model, token = service_account_token_create(
                user=account.user, revoke_others=options["revoke_others"]
            )
        except (ValidationError, PermissionDenied) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError(" ".join(messages)) from error
        verb = "Created" if account.created else "Reusing"
        self.stdout.write(
            f"{verb} the service account {account.user.username}: a practitioner with the role "
            f"{role.name} at {agency.name}. It cannot sign in to the browser."
        )
        expiry = token_model.expiry
        until = (
            f"it expires at {timezone.localtime(expiry):%Y-%m-%d %H:%M %Z}"
            if expiry is not None
            else "it never expires"
        )
        self.stdout.write(
            f"Its new API token follows, shown only this once ({until}). Keep it in the "
            "program's secret store:"
        )
        self.stdout.write(token)

    def _agency(self, code: str, partnership: str | None) -> Agency:
        agencies = Agency.objects.filter(code=code).select_related("partnership")
        if partnership:
            agencies = agencies.filter(partnership__slug=partnership)
        found = list(agencies[:2])
        if not found:
            raise CommandError(f"There is no agency with the code {code}.")
        if len(found) > 1:
            raise CommandError(
                f"Several partnerships have an agency with the code {code}: add --partnership."
            )
        return found[0]
