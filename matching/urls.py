from django.urls import path

from matching import views

app_name = "matching"

urlpatterns = [
    path("review/", views.ReviewListView.as_view(), name="review-list"),
    path("review/<int:pk>/", views.ReviewTaskView.as_view(), name="review-task"),
    path("records/<int:pk>/", views.RecordView.as_view(), name="record"),
    path("records/<int:pk>/link/", views.RecordLinkView.as_view(), name="record-link"),
    path("records/<int:pk>/unlink/", views.RecordUnlinkView.as_view(), name="record-unlink"),
    path("links/<int:pk>/", views.LinkExplainView.as_view(), name="link-explain"),
    path("pairs/<int:first>/<int:second>/", views.PairExplainView.as_view(), name="pair-explain"),
]
