from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView
from health_check.views import HealthCheckView

from agencies.models import UserType
from singleview import views

handler403 = "singleview.views.permission_denied"

urlpatterns = [
    path("", views.start, name="start"),
    path("home/", views.HomeView.as_view(), name="home"),
    path(
        "practitioner/",
        views.LandingView.as_view(landing=UserType.PRACTITIONER),
        name="landing-practitioner",
    ),
    path("practitioner/purpose/", views.PurposeView.as_view(), name="purpose"),
    path("practitioner/purpose/stop/", views.PurposeClearView.as_view(), name="purpose-clear"),
    path(
        "custodian/",
        views.LandingView.as_view(landing=UserType.CUSTODIAN),
        name="landing-custodian",
    ),
    path(
        "ig/",
        views.LandingView.as_view(landing=UserType.IG_OFFICER),
        name="landing-ig-officer",
    ),
    path(
        "partner-it/",
        views.LandingView.as_view(landing=UserType.PARTNER_IT),
        name="landing-partner-it",
    ),
    path(
        "partnership-admin/",
        views.LandingView.as_view(landing=UserType.PARTNERSHIP_ADMIN),
        name="landing-partnership-admin",
    ),
    path("", include("agencies.urls")),
    path("governance/", include("governance.urls")),
    path("transparency/", include("governance.transparency")),
    path("audit/", include("audit.urls")),
    path("matching/", include("matching.urls")),
    path("api/v1/", include("agencies.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "health/",
        HealthCheckView.as_view(
            checks=[
                "health_check.checks.Database",
                "health_check.checks.Cache",
                "health_check.checks.Storage",
            ]
        ),
        name="health",
    ),
    # The admin signs in through Single View's own pages (password, TOTP, allowed networks).
    path(
        "django-admin/login/",
        RedirectView.as_view(pattern_name="signin", query_string=True),
        name="admin-login",
    ),
    path("django-admin/", admin.site.urls),
]
