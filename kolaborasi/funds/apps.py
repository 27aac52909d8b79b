from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "kolaborasi.funds"
    label = "funds"
