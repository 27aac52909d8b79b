from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "kolaborasi.targets"
    label = "targets"
