from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("subject-access/", views.SubjectAccessView.as_view(), name="subject-access"),
]
