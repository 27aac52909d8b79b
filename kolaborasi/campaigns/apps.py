from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "kolaborasi.campaigns"
    label = "campaigns"
