from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "kolaborasi.funds"
    label = "funds"
    verbose_name = _("Dana dan buku besar")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the refund receiver)
