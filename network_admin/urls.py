from django.contrib.auth import views as auth_views
from django.urls import include, path

from customers import switching
from customers import views as customer_views
from network_admin import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("language/", views.set_language, name="set_language"),
    path(
        "login/", customer_views.LoginView.as_view(redirect_authenticated_user=True), name="login"
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("account/", include("customers.account_urls")),
    path("customers/", include("customers.urls")),
    # Switch to (django-hijack behind our own views: its own URLs are not exposed).
    path("customers/<int:pk>/switch-to/", switching.customer_switch_to, name="customer_switch_to"),
    path("switch-back/", switching.customer_switch_back, name="customer_switch_back"),
    path("memberships/", include("memberships.urls")),
    path("payments/", include("payments.urls")),
    path("sites/", include("sites.urls")),
    path("events/", include("events.urls")),
]
