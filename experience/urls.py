"""HTML pages of the experience app, under the i18n prefix experience/."""

from django.urls import path

from experience import followup_views

app_name = "experience"

urlpatterns: list = [
    path("follow-ups/", followup_views.follow_up_list, name="follow_up_list"),
    path("follow-ups/<int:pk>/", followup_views.follow_up_detail, name="follow_up_detail"),
    path("follow-ups/<int:pk>/close/", followup_views.follow_up_close, name="follow_up_close"),
]
