from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "kolaborasi.stats"
    label = "stats"
