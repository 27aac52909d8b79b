from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kolaborasi.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Connects the login signal that stamps a session's start (session limits).
        from . import middleware  # noqa: F401
