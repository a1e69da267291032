from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "backoffice"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(template_name="backoffice/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/api-tokens/", views.api_tokens, name="api_tokens"),
    path("settings/history/", views.change_history, name="change_history"),
    path("settings/api-tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("settings/names/", views.names, name="names"),
    path("settings/names/<slug:kind>/<str:key>/", views.name_edit, name="name_edit"),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("favicon.ico", views.favicon, name="favicon"),
]
