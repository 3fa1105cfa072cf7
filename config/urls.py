from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import account_views
from core.forms import LoginForm
from core.health import healthz
from portal import urls as portal_urls
from projects import urls as project_urls
from villages import urls as village_urls

urlpatterns = [
    path("healthz", healthz, name="healthz"),  # answered by core.health.HealthCheckMiddleware before host checks
    portal_urls.home,
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", account_views.logout, name="logout"),
    path("accounts/password/", account_views.password_change, name="password_change"),
    path("accounts/tokens/", account_views.token_list, name="tokens"),
    path("accounts/tokens/revoke/", account_views.token_revoke_view, name="tokens_revoke"),
    # The village and project pages combine apps (portal); they keep their names in the villages and projects namespaces.
    path("villages/", include(([*village_urls.urlpatterns, *portal_urls.village_patterns], village_urls.app_name))),
    path("projects/", include(([*project_urls.urlpatterns, *portal_urls.project_patterns], project_urls.app_name))),
    path("funding/", include("funding.urls")),
    path("assessment/", include("assessment.urls")),
    path("maintenance/", include("maintenance.urls")),
    path("plans/", include("planning.urls")),
    path("oversight/", include("oversight.urls")),
    path("inbox/", include("inbox.urls")),
    path("imports/", include("imports.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("reports/", include("reports.urls")),
    path("bulletins/", include("bulletins.urls")),
    # Readable without logging in (disclosure.views): published bulletins, open counties' village pages, exemplary cases.
    path("public/", include("disclosure.urls")),
    path("publicity/", include("disclosure.manage_urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script as a file (/api/docs/?script=): no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The installable app: /manifest.webmanifest, /sw.js (at the root: its scope is the whole portal), /offline/...
    path("", include("offline.urls")),
    path("admin/", admin.site.urls),
]
# Uploaded media (progress photos) is never served as static files: projects:photo
# serves each file through the access gate.

handler400 = "core.views.bad_request"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
