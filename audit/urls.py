from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path(
        "export.csv",
        views.DashboardExportView.as_view(export_format="csv"),
        name="dashboard-csv",
    ),
    path(
        "export.pdf",
        views.DashboardExportView.as_view(export_format="pdf"),
        name="dashboard-pdf",
    ),
    path("sensitive/", views.SensitivePersonView.as_view(), name="sensitive-persons"),
    path("subject-access/", views.SubjectAccessView.as_view(), name="subject-access"),
    path("alerts/", views.AlertQueueView.as_view(), name="alert-queue"),
    path("alerts/<int:pk>/", views.AlertDetailView.as_view(), name="alert-detail"),
    path("alerts/<int:pk>/answer/", views.AlertAnswerView.as_view(), name="alert-answer"),
    path("events/<int:pk>/", views.EventDetailView.as_view(), name="event-detail"),
]
