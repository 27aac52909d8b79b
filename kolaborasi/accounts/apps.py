from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kolaborasi.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Connects the login signal that stamps a session's start (session limits).
        from . import (
            lockout,  # noqa: F401  (connects the lockout and login-throttle receivers)
            middleware,  # noqa: F401
        )
