from django.conf import settings
from django.http import HttpRequest

from .authority import site_authority


def site(request: HttpRequest) -> dict[str, object]:
    """``authority``: who runs this site (None until an operator configures it)."""
    return {"SITE_NAME": "kolaborasi", "DEBUG": settings.DEBUG, "authority": site_authority()}
