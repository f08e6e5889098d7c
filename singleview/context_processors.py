from django.conf import settings
from django.http import HttpRequest

from singleview.selectors import purpose_banner


def service(request: HttpRequest) -> dict[str, object]:
    """The service name, the demo flag and the declared purpose, for every page."""
    return {
        "service_name": "Single View",
        "singleview_demo": settings.SINGLEVIEW_DEMO,
        "purpose_banner": purpose_banner(request=request),
    }
