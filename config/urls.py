from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.api_router import api_patterns
from config.health import health
from experience.public_views import survey_page
from insights.home import home

handler404 = "access.api.not_found"

urlpatterns = [
    path("health/", health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include((api_patterns, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Signed-in users only (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]); the docs page sends a
    # browser to the login page. The split view serves Swagger UI's start-up script as a file,
    # which the Content-Security-Policy allows, instead of an inline script.
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
         name="api-docs"),
    # A debtor's survey link: outside the language prefix, the page speaks the survey's language.
    path("s/<str:token>/", survey_page, name="survey-public"),
]
urlpatterns += i18n_patterns(
    # The home page sends each role where it works; a client user to the client portal.
    path("", home, name="home"),
    path("", include("access.urls")),
    path("portfolio/", include("portfolio.urls")),
    path("credit/", include("credit.urls")),
    path("caring/", include("caring.urls")),
    path("collections/", include("recovery.urls")),
    path("compliance/", include("compliance.urls")),
    path("experience/", include("experience.urls")),
    path("insights/", include("insights.urls")),
    path("scoring/", include("scoring.urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)

# Uploaded files (import files and their checked copies: personal data of every client) are
# never served by URL, not even in the embedded mode: MEDIA_ROOT has no route. A file a user
# must download goes through a view that checks the login and the client.
