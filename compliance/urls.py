from django.urls import path

from compliance import views

app_name = "compliance"
urlpatterns = [
    path("packs/", views.pack_list, name="pack_list"),
    path("packs/<str:code>/", views.pack_detail, name="pack_detail"),
    path("debtors/<int:pk>/check/", views.debtor_check, name="debtor_check"),
    path("decisions/<int:pk>/override/", views.override_request, name="override_request"),
    path("overrides/<int:pk>/approve/", views.override_approve, name="override_approve"),
    path("overrides/<int:pk>/reject/", views.override_reject, name="override_reject"),
]
