from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kolaborasi.accounts"
    label = "accounts"
    verbose_name = _("Akun dan organisasi")

    def ready(self) -> None:
        # Connects the login signal that stamps a session's start (session limits).
        from . import (
            lockout,  # noqa: F401  (connects the lockout and login-throttle receivers)
            middleware,  # noqa: F401
        )
