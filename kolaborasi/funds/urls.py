from django.urls import URLPattern, path

from . import views

app_name = "funds"
urlpatterns: list[URLPattern] = [
    path("agregator/", views.aggregator_list, name="aggregators"),
    path("agregator/<int:aggregator_id>/", views.aggregator_detail, name="aggregator"),
    path("sasaran/<int:target_id>/", views.target_funding, name="target_funding"),
    path("donasi/", views.donations, name="donations"),
    path("donasi/baru/", views.donation_new, name="donation_new"),
    path(
        "donasi/<int:donation_id>/konfirmasi/",
        views.donation_decide,
        {"decision": "confirm"},
        name="donation_confirm",
    ),
    path(
        "donasi/<int:donation_id>/tolak/",
        views.donation_decide,
        {"decision": "reject"},
        name="donation_reject",
    ),
    path("paket/", views.templates_page, name="templates"),
    path("paket/<int:template_id>/", views.templates_page, name="template_edit"),
    path("rencana/", views.planner, name="planner"),
    path("rencana/<int:plan_id>/", views.plan_detail, name="plan"),
    path("rencana/<int:plan_id>/setujui/", views.plan_commit, name="plan_commit"),
    path("rencana/<int:plan_id>/ulang/", views.plan_replan, name="plan_replan"),
]
