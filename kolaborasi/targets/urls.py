from django.urls import path

from . import campaign_views, views

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
    # The operators' campaign pages sit with their other tools under /akun/operator/.
    path("akun/operator/program/", campaign_views.campaign_list, name="campaign_list"),
    path("akun/operator/program/baru/", campaign_views.campaign_new, name="campaign_new"),
    path(
        "akun/operator/program/<int:campaign_id>/buka/",
        campaign_views.campaign_open_view,
        name="campaign_open",
    ),
    path(
        "akun/operator/program/<int:campaign_id>/tutup/",
        campaign_views.campaign_close_view,
        name="campaign_close",
    ),
]
