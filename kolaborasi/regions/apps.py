from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "kolaborasi.regions"
    label = "regions"
