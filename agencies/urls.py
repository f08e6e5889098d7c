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
]
