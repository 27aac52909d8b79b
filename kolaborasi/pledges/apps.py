from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "kolaborasi.pledges"
    label = "pledges"

    def ready(self) -> None:
        # Imported here, not at the top: models load only once the app registry is ready.
        from kolaborasi.core.once import expire_with_keys

        from .models import IdempotencyKey

        # The API's Idempotency-Key answers expire with the form keys (core.once).
        expire_with_keys(IdempotencyKey)
