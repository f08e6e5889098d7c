from django.urls import path

from agencies import views

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="signin"),
    path("sign-in/code/", views.SignInCodeView.as_view(), name="signin-code"),
    path("account/two-factor/", views.TwoFactorSetupView.as_view(), name="two-factor-setup"),
    path("sign-out/", views.SignOutView.as_view(), name="signout"),
    path("signed-out/", views.SignedOutView.as_view(), name="signed-out"),
    path("partnership/agencies/", views.AgencyListView.as_view(), name="agency-list"),
    path("partnership/agencies/<int:pk>/", views.AgencyDetailView.as_view(), name="agency-detail"),
    # Nightly extracts: partner IT of the dataset's agency.
    path(
        "partner-it/extracts/", views.ExtractDatasetListView.as_view(), name="extract-dataset-list"
    ),
    path(
        "partner-it/datasets/<int:pk>/",
        views.ExtractDatasetDetailView.as_view(),
        name="extract-dataset-detail",
    ),
    path(
        "partner-it/datasets/<int:pk>/schema/",
        views.ExtractSchemaView.as_view(),
        name="extract-schema",
    ),
    path(
        "partner-it/datasets/<int:pk>/schema.json",
        views.ExtractSchemaJSONView.as_view(),
        name="extract-schema-json",
    ),
    path(
        "partner-it/datasets/<int:pk>/sample.csv",
        views.ExtractSampleCSVView.as_view(),
        name="extract-sample-csv",
    ),
    path(
        "partner-it/datasets/<int:pk>/upload/",
        views.ExtractUploadView.as_view(),
        name="extract-upload",
    ),
    path(
        "partner-it/datasets/<int:pk>/process/",
        views.ExtractProcessNowView.as_view(),
        name="extract-process-now",
    ),
    path("partner-it/runs/<int:pk>/", views.ExtractRunView.as_view(), name="extract-run-detail"),
    path(
        "partner-it/runs/<int:pk>/progress/",
        views.ExtractRunProgressView.as_view(),
        name="extract-run-progress",
    ),
    path(
        "partner-it/runs/<int:pk>/report.json",
        views.ExtractRunReportJSONView.as_view(),
        name="extract-run-report-json",
    ),
    path(
        "partner-it/runs/<int:pk>/report.csv",
        views.ExtractRunReportCSVView.as_view(),
        name="extract-run-report-csv",
    ),
    path("partner-it/api-tokens/", views.ApiTokenListView.as_view(), name="api-token-list"),
    path(
        "partner-it/api-tokens/<str:token_key>/revoke/",
        views.ApiTokenRevokeView.as_view(),
        name="api-token-revoke",
    ),
]
