from django.urls import path

from credit import views

app_name = "credit"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("over-limit/", views.over_limit, name="over_limit"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/<str:move>/", views.request_act, name="request_act"),
    path("debtors/<int:pk>/", views.debtor_credit, name="debtor_credit"),
    path("debtors/<int:pk>/request/", views.request_new, name="request_new"),
    path("debtors/<int:pk>/statements/new/", views.statement_new, name="statement_new"),
    path("statements/import/", views.statement_import, name="statement_import"),
]
