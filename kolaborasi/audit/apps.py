from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "kolaborasi.audit"
    label = "audit"
    verbose_name = _("Jejak audit")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the signing key's check
