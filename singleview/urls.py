from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
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
    path("practitioner/search/", views.SearchView.as_view(), name="search"),
    path("practitioner/people/<uuid:public_id>/", views.PersonView.as_view(), name="person"),
    path(
        "practitioner/people/<uuid:public_id>/cards/<int:dataset_id>/",
        views.PersonCardView.as_view(),
        name="person-card",
    ),
    path(
        "practitioner/people/<uuid:public_id>/export.csv",
        views.PersonExportView.as_view(),
        name="person-export",
    ),
    path(
        "practitioner/people/<uuid:public_id>/relationship/",
        views.RelationshipView.as_view(),
        name="person-relationship",
    ),
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
    path("api/v1/", include("singleview.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI from our own static files, its start-up script a separate file (no inline
    # script or style for the CSP to refuse). No ReDoc: it needs inline styles (docs/api.md).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="singleview/api_docs.html"
        ),
        name="api-docs",
    ),
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
