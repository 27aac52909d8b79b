from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kolaborasi.accounts"
    label = "accounts"
