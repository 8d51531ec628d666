from django.urls import path

from caring import views

app_name = "caring"
urlpatterns = [
    path("", views.plan, name="plan"),
    path("plan-now/", views.plan_now, name="plan_now"),
    path("plan-progress/", views.plan_progress, name="plan_progress"),
    path("policies/new/", views.policy_create, name="policy_create"),
    path("policies/<int:pk>/", views.policy_edit, name="policy_edit"),
    path("queue/", views.queue, name="queue"),
    path("queue/next/", views.next_call, name="next_call"),
    path("calls/<int:pk>/", views.workspace, name="workspace"),
    path("calls/<int:pk>/claim/", views.claim, name="claim"),
    path("calls/<int:pk>/outcome/", views.outcome, name="outcome"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("compare/", views.compare, name="compare"),
]
