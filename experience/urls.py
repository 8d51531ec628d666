"""HTML pages of the experience app, under the i18n prefix experience/."""

from django.urls import path

from experience import followup_views, programme_views, report_views

app_name = "experience"

urlpatterns: list = [
    path("follow-ups/", followup_views.follow_up_list, name="follow_up_list"),
    path("follow-ups/<int:pk>/", followup_views.follow_up_detail, name="follow_up_detail"),
    path("follow-ups/<int:pk>/close/", followup_views.follow_up_close, name="follow_up_close"),
    # Survey programmes and the market-study upload (experience/programme_views.py).
    path("programmes/", programme_views.programme_list, name="programme_list"),
    path("programmes/<int:client_id>/", programme_views.programme_detail,
         name="programme_detail"),
    path("programmes/<int:client_id>/study/", programme_views.study_import,
         name="study_import"),
    path("reports/nps/", report_views.nps_report, name="nps_report"),
    path("reports/strategies/", report_views.strategy_report, name="strategy_report"),
]
