from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .authority import site_authority


def site(request: HttpRequest) -> dict[str, object]:
    """``authority``: who runs this site (None until an operator configures it), read
    only by pages that show it."""
    authority = SimpleLazyObject(site_authority)
    return {"SITE_NAME": "kolaborasi", "DEBUG": settings.DEBUG, "authority": authority}
