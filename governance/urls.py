from django.urls import path

from governance import views

app_name = "governance"

urlpatterns = [
    path("grants/", views.GrantListView.as_view(), name="grant-list"),
    path("grants/new/", views.GrantLineView.as_view(), name="grant-new"),
    path("grants/new/terms/", views.NewGrantTermsView.as_view(), name="grant-new-terms"),
    path("grants/<int:pk>/", views.GrantDetailView.as_view(), name="grant-detail"),
    path("grants/<int:pk>/new-version/", views.NewVersionView.as_view(), name="grant-new-version"),
    path("versions/<int:pk>/edit/", views.EditDraftView.as_view(), name="version-edit"),
    path("versions/<int:pk>/submit/", views.VersionSubmitView.as_view(), name="version-submit"),
    path("versions/<int:pk>/discard/", views.VersionDiscardView.as_view(), name="version-discard"),
    path("versions/<int:pk>/preview/", views.VersionPreviewView.as_view(), name="version-preview"),
    path("sign-off/", views.SignOffQueueView.as_view(), name="sign-off-queue"),
    path("sign-off/<int:pk>/", views.SignOffReviewView.as_view(), name="sign-off-review"),
    path("sign-off/<int:pk>/status/", views.VersionStatusView.as_view(), name="version-status"),
    path("sign-off/<int:pk>/done/", views.SignOffDoneView.as_view(), name="sign-off-done"),
    path("preview/", views.AudiencePreviewView.as_view(), name="audience-preview"),
    path("custodians/", views.CustodianListView.as_view(), name="custodian-list"),
    path("custodians/<int:pk>/", views.CustodianChangeView.as_view(), name="custodian-change"),
    path("restrictions/", views.RestrictionListView.as_view(), name="restriction-list"),
    path("restrictions/new/", views.RestrictionCreateView.as_view(), name="restriction-new"),
    path(
        "restrictions/<int:pk>/lift/", views.RestrictionLiftView.as_view(), name="restriction-lift"
    ),
]
