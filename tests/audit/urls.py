"""Pages that read behind `committed()`, for the fail-closed tests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.models import User
from audit import events

SECRET = "Care package: home care, four visits a day"


def _record(request: HttpRequest) -> None:
    user = User.objects.get(pk=request.GET["user"])
    with events.committed():
        events.record_report_viewed(user=user, report="test", parameters={}, request=request)


def secret_page(request: HttpRequest) -> HttpResponse:
    _record(request)
    return HttpResponse(SECRET)


@api_view(["GET"])
@permission_classes([AllowAny])
def secret_api(request: Request) -> Response:
    _record(request._request)
    return Response({"care_package": SECRET})


urlpatterns = [
    path("secret/", secret_page),
    path("api/secret/", secret_api),
]
