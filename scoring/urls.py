from django.urls import path

from scoring import views

app_name = "scoring"
urlpatterns = [
    path("models/", views.model_list, name="model_list"),
    path("models/<int:pk>/", views.model_detail, name="model_detail"),
    path("models/<int:pk>/promote/", views.model_promote, name="model_promote"),
    path("run/", views.run_now, name="run_now"),
    path("train/", views.train_now, name="train_now"),
    path("debtors/<int:pk>/", views.debtor_score, name="debtor_score"),
]
