from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("jumlah/", views.money_preview, name="money_preview"),
    path("penyelenggara/logo.png", views.authority_logo, name="authority_logo"),
    path("privasi/", views.privacy, name="privacy"),
]
