from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from aims.audit import views as audit_views
from aims.clocks import views as clock_views
from aims.core import views as core_views
from aims.core.api import views as core_api_views
from aims.notify import views as notify_views
from incidents import protected_urls

api_v1 = [
    path("", include("inventory.api.urls")),
    path("", include("aims.accounts.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("aims.clocks.api.urls")),
    path("", include("aims.notify.api.urls")),
    path("", include("capa.api.urls")),
    path("", include("disclosure.api.urls")),
    path("", include("risk.api.urls")),
    path("", include("reporting.api.urls")),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz/", core_views.healthz, name="healthz"),
    path("accounts/", include("aims.accounts.urls")),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("systems/", include("inventory.urls")),
    path("incidents/", include("incidents.urls")),
    path("report/", include((protected_urls.public_urlpatterns, "report"))),
    path("protected-reports/", include((protected_urls.staff_urlpatterns, "protected"))),
    path(
        "history/<str:app_label>/<str:model_name>/<int:pk>/",
        audit_views.object_history,
        name="object-history",
    ),
    path("reports/", include("reporting.urls")),
    path("capa/", include("capa.urls")),
    path("disclosure/", include("disclosure.urls")),
    path("risks/", include("risk.urls")),
    path("my-work/", clock_views.my_work, name="my-work"),
    path("inbox/", notify_views.inbox, name="inbox"),
    path("inbox/read/", notify_views.mark_read, name="inbox-read"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file of its own (no inline script).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

# Unknown paths under /api/ answer JSON like the rest of the API; the HTML 404 page elsewhere.
handler404 = core_api_views.not_found
handler500 = core_views.server_error
