from django.urls import path

from portfolio import views
from portfolio.imports import views as import_views

app_name = "portfolio"
urlpatterns = [
    path("clients/<int:pk>/", views.client_detail, name="client_detail"),
    path("debtors/", views.debtor_list, name="debtor_list"),
    path("debtors/<int:pk>/", views.debtor_detail, name="debtor_detail"),
    path("debtors/<int:pk>/flags/", views.debtor_flag, name="debtor_flag"),
    path("debtors/<int:pk>/export/", views.debtor_export, name="debtor_export"),
    path("debtors/<int:pk>/erase/", views.debtor_erase, name="debtor_erase"),
    path("debtors/<int:pk>/payments/<int:payment_pk>/reverse/", views.payment_reverse,
         name="payment_reverse"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/commit/", import_views.import_commit, name="import_commit"),
    path("imports/templates/<str:kind>.<str:fmt>", import_views.import_template,
         name="import_template"),
]
