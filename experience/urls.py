"""HTML pages of the experience app, under the i18n prefix experience/."""

from django.urls import path

from experience import programme_views

app_name = "experience"

urlpatterns: list = [
    # Survey programmes and the market-study upload (experience/programme_views.py).
    path("programmes/", programme_views.programme_list, name="programme_list"),
    path("programmes/<int:client_id>/", programme_views.programme_detail,
         name="programme_detail"),
    path("programmes/<int:client_id>/study/", programme_views.study_import,
         name="study_import"),
]
