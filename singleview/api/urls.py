from django.urls import path

from singleview.api import views

urlpatterns = [
    path("purposes", views.PurposeListAPIView.as_view(), name="api-purposes"),
    path("people", views.PersonSearchAPIView.as_view(), name="api-people"),
    path("people/<uuid:public_id>", views.PersonAPIView.as_view(), name="api-person"),
    path(
        "people/<uuid:public_id>/cards/<int:dataset_id>",
        views.PersonCardAPIView.as_view(),
        name="api-person-card",
    ),
    path(
        "people/<uuid:public_id>/relationships",
        views.RelationshipAPIView.as_view(),
        name="api-person-relationships",
    ),
]
