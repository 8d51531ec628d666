"""HTML pages of the insights app, under the i18n prefix insights/."""

from django.urls import include, path

from insights import staffing_views, views

app_name = "insights"

urlpatterns = [
    path("dashboards/", views.dashboards, name="dashboards"),
    path("dashboards/credit/<int:client_id>/", views.credit, name="credit"),
    path("dashboards/credit/<int:client_id>/aging/<slug:bucket>/", views.aging_debtors,
         name="aging_debtors"),
    path("dashboards/team/<int:client_id>/", views.team, name="team"),
    path("dashboards/agent/<int:client_id>/", views.agent, name="agent"),
    path("portal/", include("insights.portal_urls")),
    path("staffing/", staffing_views.staffing_forecast, name="staffing"),
]
