from django.urls import path

from . import views

app_name = "targets"
urlpatterns = [
    path("", views.home, name="home"),
    path("peta/", views.peta, name="peta"),
    path("peta/data/<slug:aid>.json", views.peta_data, name="peta_data"),
    path("peta/info/<str:code>.json", views.peta_info, name="peta_info"),
    path("peta/sasaran/<int:target_id>.json", views.peta_target, name="peta_target"),
    path("daftar/", views.daftar, name="daftar"),
    path("sasaran/<int:target_id>/", views.sasaran, name="sasaran"),
    path("cari/", views.cari, name="cari"),
]
