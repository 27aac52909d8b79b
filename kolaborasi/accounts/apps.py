from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kolaborasi.accounts"
    label = "accounts"

    def ready(self) -> None:
        from . import lockout  # noqa: F401  (connects the lockout and login-throttle receivers)
