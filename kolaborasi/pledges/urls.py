from django.urls import path

from . import review_views, views

app_name = "pledges"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("baru/<int:target_id>/", views.pledge_new, name="new"),
    path("konfirmasi/", views.inbox, name="inbox"),
    path("semua/", views.everything, name="all"),
    path("kebutuhan/<int:target_id>/", views.need_edit, name="need_edit"),
    path("organisasi/<int:organisation_id>/", views.organisation_holds, name="organisation"),
    path("<int:pledge_id>/salurkan/", views.deliver, name="deliver"),
    path("<int:pledge_id>/batal/", views.cancel, name="cancel"),
    path("<int:pledge_id>/perpanjang/", views.extend, name="extend"),
    path("<int:pledge_id>/konfirmasi/", review_views.confirm, name="confirm"),
    path("dipersoalkan/", views.disputes, name="disputes"),
    path("penyaluran/<int:delivery_id>/", review_views.delivery_detail, name="delivery"),
    path("penyaluran/<int:delivery_id>/konfirmasi/", review_views.delivery_confirm, name="delivery_confirm"),
    path("penyaluran/<int:delivery_id>/persoalkan/", review_views.delivery_dispute, name="delivery_dispute"),
    path("penyaluran/<int:delivery_id>/jawab/", review_views.delivery_answer, name="delivery_answer"),
]
