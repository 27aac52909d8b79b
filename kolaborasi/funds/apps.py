from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "kolaborasi.funds"
    label = "funds"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the refund receiver)
