from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kolaborasi.audit"
    label = "audit"
