"""The one gate for the agencies API: a knox token of an active partner IT user, from one of
their agency's allowed networks. Tenant scoping is the selectors' (404 for anything else)."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_client_ip_address
from knox.auth import TokenAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from agencies.models import User, UserType


class IsPartnerIT(BasePermission):
    message = "Only partner IT can use this API, from their agency's own networks."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not isinstance(user, User) or not user.is_active:
            return False
        if not user.has_user_type(UserType.PARTNER_IT):
            return False
        return user.agency.allows_address(get_client_ip_address(request._request) or "")


class PartnerITAPIView(APIView):
    """Every agencies API view inherits this: knox tokens only (hashed, expiring, revocable; no
    session cookies, so no CSRF), partner IT only."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsPartnerIT]

    @property
    def user(self) -> User:
        user = self.request.user
        assert isinstance(user, User)  # noqa: S101 - guaranteed by IsPartnerIT
        return user
