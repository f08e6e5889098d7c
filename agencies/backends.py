"""The authentication backend for staff."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db import connection

from agencies import sql
from agencies.models import Agency, OrganisationType, Partnership, User
from governance.models import Role

_USER = sql.Columns(User, "u")
_AGENCY = sql.Columns(Agency, "a")
_PARTNERSHIP = sql.Columns(Partnership, "p")
_ORGANISATION_TYPE = sql.Columns(OrganisationType, "o")
_ROLE = sql.Columns(Role, "r")


@cache
def _signed_in_user_sql() -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT {_USER.sql}, {_AGENCY.sql}, {_PARTNERSHIP.sql}, {_ORGANISATION_TYPE.sql}, "  # noqa: S608 - model names
        f"{_ROLE.sql}, g.{quote('name')} "
        f"FROM {sql.table(User)} u "
        f"JOIN {sql.table(Agency)} a ON a.id = u.agency_id "
        f"JOIN {sql.table(Partnership)} p ON p.id = a.partnership_id "
        f"JOIN {sql.table(OrganisationType)} o ON o.id = a.organisation_type_id "
        f"LEFT JOIN {sql.table(Role)} r ON r.id = u.role_id "
        f"LEFT JOIN {sql.table(User.groups.through)} m ON m.user_id = u.id "
        f"LEFT JOIN {sql.table(Group)} g ON g.id = m.group_id "
        "WHERE u.id = %s"
    )


class StaffBackend(ModelBackend):
    """Django's ModelBackend, except that the signed-in user of each request is read with their
    agency (its partnership and organisation type), role and user types (groups) in one
    hand-written query (`agencies.sql`): every page reads them, and the ORM's select_related
    version and the groups query cost most of a request's fixed CPU."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            found = sql.rows(_signed_in_user_sql(), [int(user_id)])
        except (TypeError, ValueError):
            return None
        if not found:
            return None
        row = found[0]
        at = _USER.width
        user = _USER.joined(row)
        agency = _AGENCY.joined(row, at)
        at += _AGENCY.width
        Agency.partnership.field.set_cached_value(agency, _PARTNERSHIP.joined(row, at))
        at += _PARTNERSHIP.width
        Agency.organisation_type.field.set_cached_value(agency, _ORGANISATION_TYPE.joined(row, at))
        at += _ORGANISATION_TYPE.width
        User.agency.field.set_cached_value(user, agency)
        User.role.field.set_cached_value(user, _ROLE.instance(row, at))
        user.user_types_hold(r[-1] for r in found if r[-1] is not None)
        return user if self.user_can_authenticate(user) else None
