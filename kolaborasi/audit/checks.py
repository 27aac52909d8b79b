"""The signing key is checked when the site starts (`kolaborasi check`, runserver, the
worker, migrate): a missing file named by AUDIT_SIGNING_KEY_FILE, or a malformed one,
stops the start with the key module's message rather than the first signature; so does
a malformed retired keys file (AUDIT_RETIRED_KEYS_FILE), rather than the next verify."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from .signing import SigningKeyError, private_key, retired_public_keys


@register()
def signing_key_usable(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        private_key()
    except SigningKeyError as exc:
        return [Error(str(exc), id="audit.E001")]
    try:
        retired_public_keys()
    except SigningKeyError as exc:
        return [Error(str(exc), id="audit.E002")]
    return []
