"""HTML pages of the collections desk, under the i18n prefix collections/."""

from django.urls import path

from recovery import plan_views, views

app_name = "recovery"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("next/", views.next_case, name="next_case"),
    path("cases/<int:pk>/", views.case_workspace, name="workspace"),
    path("cases/<int:pk>/claim/", views.case_claim, name="claim"),
    path("cases/<int:pk>/extend/", views.case_extend, name="extend"),
    path("cases/<int:pk>/release/", views.case_release, name="release"),
    path("cases/<int:pk>/outcome/", views.outcome, name="outcome"),
    path("control-room/", views.control_room, name="control_room"),
    path("overrides/<int:pk>/decide/", views.override_decide, name="override_decide"),
]

# Payment plans and disputes (recovery/plan_views.py).
urlpatterns += plan_views.urlpatterns
