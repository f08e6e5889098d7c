from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("subject-access/", views.SubjectAccessView.as_view(), name="subject-access"),
    path("alerts/", views.AlertQueueView.as_view(), name="alert-queue"),
    path("alerts/<int:pk>/", views.AlertDetailView.as_view(), name="alert-detail"),
    path("alerts/<int:pk>/answer/", views.AlertAnswerView.as_view(), name="alert-answer"),
    path("events/<int:pk>/", views.EventDetailView.as_view(), name="event-detail"),
]
