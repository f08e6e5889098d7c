from django.conf import settings
from django.http import HttpRequest


def service(request: HttpRequest) -> dict[str, object]:
    """The service name and demo flag, for the header and the sign-in pages."""
    return {"service_name": "Single View", "singleview_demo": settings.SINGLEVIEW_DEMO}
