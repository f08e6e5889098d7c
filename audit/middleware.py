"""Fail closed: a read whose access event could not be committed answers 503 and shows nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from audit.events import AuditUnavailable

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 60
# If even the page cannot be rendered (the database may be down), this plain one is sent.
PLAIN_PAGE = (
    '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
    "<title>Sorry, Single View cannot show this now - Single View</title>"
    '<link rel="stylesheet" href="/static/css/singleview.css"></head>'
    '<body class="govuk-template__body"><div class="govuk-width-container">'
    '<main class="govuk-main-wrapper" id="main-content">'
    '<h1 class="govuk-heading-l">Sorry, Single View cannot show this now: nothing was shown</h1>'
    '<p class="govuk-body">Single View could not record this use in its audit log, so it has '
    "shown nothing. Try again in a few minutes.</p></main></div></body></html>"
)


class AuditUnavailableMiddleware:
    """Turns `AuditUnavailable` from any view into the 503 'nothing was shown' page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, AuditUnavailable):
            return None
        return audit_unavailable_response(request)


def audit_unavailable_response(request: HttpRequest) -> HttpResponse:
    content: str
    try:
        content = render_to_string("audit/unavailable.html", request=request)
    except Exception:  # the page must be answered whatever else is broken
        logger.exception("The 'nothing was shown' page could not be rendered.")
        content = PLAIN_PAGE
    response = HttpResponse(content, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
