"""The authentication backend for staff."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from agencies.models import User


class StaffBackend(ModelBackend):
    """Django's ModelBackend, except that the signed-in user of each request is read with their
    agency (its partnership and organisation type) and role in one query: nearly every page
    reads them, which otherwise costs a query each."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User._default_manager.select_related(
                "agency__partnership", "agency__organisation_type", "role"
            ).get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
