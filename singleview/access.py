"""The one gate for HTML views: signed in, second factor verified, right user type, own tenant."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from agencies.models import Partnership, User


def staff(request: HttpRequest) -> User:
    """The signed-in member of staff making the request (anonymous users never get here)."""
    if not isinstance(request.user, User):
        raise PermissionDenied("Sign in to use this page.")
    return request.user


class PartnershipViewMixin(AccessMixin):
    """Every staff page inherits this. `user_types` limits a page to some user types.

    The tenant is always the signed-in user's partnership; selectors take `self.user` and return
    404 for anything outside it.
    """

    user_types: tuple[str, ...] = ()
    partnership: Partnership
    user: User

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not isinstance(user, User) or not user.is_verified():
            return self.handle_no_permission()
        if self.user_types and not user.user_types.intersection(self.user_types):
            raise PermissionDenied("Your account does not have access to this page.")
        self.user = user
        self.partnership = user.partnership
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
