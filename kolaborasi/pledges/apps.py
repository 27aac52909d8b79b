from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PledgesConfig(AppConfig):
    name = "kolaborasi.pledges"
    label = "pledges"
    verbose_name = _("Komitmen dan penyaluran")

    def ready(self) -> None:
        # Imported here, not at the top: models load only once the app registry is ready.
        from kolaborasi.core.once import expire_with_keys

        from . import erasure  # noqa: F401  (its receivers join the person's export and erasure)
        from .models import IdempotencyKey

        # The API's Idempotency-Key answers expire with the form keys (core.once).
        expire_with_keys(IdempotencyKey)
