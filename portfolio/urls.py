from django.urls import path

from portfolio import views

app_name = "portfolio"
urlpatterns = [
    path("clients/<int:pk>/", views.client_detail, name="client_detail"),
    path("debtors/", views.debtor_list, name="debtor_list"),
    path("debtors/<int:pk>/", views.debtor_detail, name="debtor_detail"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
]
