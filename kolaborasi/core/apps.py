from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kolaborasi.core"
    label = "core"
