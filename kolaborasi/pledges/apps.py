from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "kolaborasi.pledges"
    label = "pledges"
