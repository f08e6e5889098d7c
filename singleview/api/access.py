"""The one gate for the practitioner API: a knox token of an active practitioner, from one of
their agency's allowed networks, and (for every read of people) a purpose named in the request
itself and checked as the purpose page checks it. The tenant is the user's partnership: the
selectors answer 404 for anyone else's people."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from axes.helpers import get_client_ip_address
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from knox.auth import TokenAuthentication
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import User, UserType
from governance import policy
from singleview import services
from singleview.api.serializers import PurposeParametersSerializer
from singleview.selectors import DeclaredPurpose, PersonGone


class IsPractitioner(BasePermission):
    message = "Only practitioners can use this API, from their agency's own networks."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not isinstance(user, User) or not user.is_active:
            return False
        if not user.has_user_type(UserType.PRACTITIONER):
            return False
        return user.agency.allows_address(get_client_ip_address(request._request) or "")


def purpose_from_parameters(*, user: User, parameters: Mapping[str, Any]) -> DeclaredPurpose:
    """The purpose a request names (`purpose`, `justification`, `case_reference`), checked by
    `services.purpose_check` exactly as the purpose page checks it. 400 naming the field when it
    is missing or may not be declared."""
    given = PurposeParametersSerializer(data=parameters)
    given.is_valid(raise_exception=True)
    data = given.validated_data
    purpose = policy.purposes_available(user=user).filter(code=data["purpose"]).first()
    if purpose is None:
        raise ValidationError(
            {"purpose": ["Choose one of your purposes: GET /api/v1/purposes lists their codes."]}
        )
    try:
        return services.purpose_check(
            user=user,
            purpose=purpose,
            justification=data["justification"],
            case_reference=data["case_reference"],
        )
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict) from error


class PractitionerAPIView(APIView):
    """Every practitioner API view inherits this: knox tokens only (hashed, expiring, revocable;
    no session cookies, so no CSRF), practitioners only. With `needs_purpose`, the request's
    purpose is checked before the handler runs (`self.declared`): no purpose, no read. No
    answer may be cached.

    A merged person's address answers 308 Permanent Redirect to the same address for the person
    they were merged into, with the same query string (the purpose), and names them in the body.
    """

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsPractitioner]
    needs_purpose = True
    declared: DeclaredPurpose

    @property
    def user(self) -> User:
        user = self.request.user
        assert isinstance(user, User)  # noqa: S101 - guaranteed by IsPractitioner
        return user

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if self.needs_purpose:
            self.declared = purpose_from_parameters(user=self.user, parameters=request.query_params)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        # Answers about people are never kept by a proxy or the client's cache.
        response["Cache-Control"] = "no-store"
        return response

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, PersonGone):
            return self.person_gone(exc)
        return super().handle_exception(exc)

    def person_gone(self, gone: PersonGone) -> Response:
        match = self.request.resolver_match
        assert match is not None  # noqa: S101 - a routed request
        location = reverse(
            str(match.view_name), kwargs={**match.kwargs, "public_id": gone.survivor}
        )
        query = self.request._request.META.get("QUERY_STRING", "")
        if query:
            location = f"{location}?{query}"
        return Response(
            {
                "detail": "This person's records were merged with another person's: "
                "use the other person's id.",
                "id": str(gone.survivor),
            },
            status=status.HTTP_308_PERMANENT_REDIRECT,
            headers={"Location": self.request.build_absolute_uri(location)},
        )
