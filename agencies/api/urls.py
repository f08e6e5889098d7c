from django.urls import path

from agencies.api import views

urlpatterns = [
    path(
        "datasets/<int:pk>/extracts",
        views.DatasetExtractsAPIView.as_view(),
        name="api-dataset-extracts",
    ),
    path(
        "datasets/<int:pk>/process",
        views.DatasetProcessAPIView.as_view(),
        name="api-dataset-process",
    ),
    path(
        "datasets/<int:pk>/schema", views.DatasetSchemaAPIView.as_view(), name="api-dataset-schema"
    ),
    path("extract-runs/<int:pk>", views.ExtractRunAPIView.as_view(), name="api-extract-run"),
    path(
        "extract-runs/<int:pk>/report",
        views.ExtractRunReportAPIView.as_view(),
        name="api-extract-run-report",
    ),
    path(
        "extract-runs/<int:pk>/report.csv",
        views.ExtractRunReportCSVAPIView.as_view(),
        name="api-extract-run-report-csv",
    ),
]
