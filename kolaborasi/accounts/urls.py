from django.urls import URLPattern, path

from . import auth_views, views

app_name = "accounts"
urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("daftar/", auth_views.register, name="register"),
    path("verifikasi/kirim-ulang/", auth_views.verify_resend, name="verify_resend"),
    path("verifikasi/<str:token>/", auth_views.verify, name="verify"),
    path("masuk/", auth_views.LoginView.as_view(), name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("dua-langkah/", auth_views.second_factor, name="second_factor"),
    path("dua-langkah/pasang/", auth_views.second_factor_enrol, name="second_factor_enrol"),
    path("sandi/lupa/", auth_views.password_reset, name="password_reset"),
    path("sandi/terkirim/", auth_views.password_reset_done, name="password_reset_done"),
    path("sandi/atur/<str:token>/", auth_views.password_reset_confirm, name="password_reset_confirm"),
    path("sandi/selesai/", auth_views.password_reset_complete, name="password_reset_complete"),
    path("mulai/", views.start, name="start"),
    path("undangan/<str:token>/", views.invite_accept, name="invite_accept"),
    path("organisasi/baru/", views.org_create, name="org_create"),
    path("organisasi/pilih/", views.org_switch, name="org_switch"),
    path("organisasi/<int:org_id>/", views.org_detail, name="org_detail"),
    path("organisasi/<int:org_id>/pengaturan/", views.org_settings, name="org_settings"),
    path("organisasi/<int:org_id>/anggota/", views.member_add, name="member_add"),
    path("organisasi/<int:org_id>/token/", views.token_create, name="token_create"),
    path("organisasi/<int:org_id>/token/<int:token_id>/cabut/", views.token_revoke, name="token_revoke"),
    path("operator/undang/", views.operator_invite, name="operator_invite"),
    path("operator/agregator/", views.operator_aggregators, name="operator_aggregators"),
    path("operator/agregator/<int:org_id>/verifikasi/", views.operator_verify, name="operator_verify"),
]
