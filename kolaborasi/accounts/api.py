from django.http import HttpRequest
from ninja import Router, Schema

from .auth import token_auth

router = Router(tags=["accounts"])


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    subtype: str
    verified: bool


class ErrorOut(Schema):
    detail: str


@router.get("/organisations/me", auth=token_auth, response={200: OrganisationOut, 401: ErrorOut})
def organisation_me(request: HttpRequest) -> OrganisationOut:
    """The organisation the bearer token acts for (a cheap way to check a token)."""
    org = request.auth  # type: ignore[attr-defined]
    return OrganisationOut(
        id=org.pk, name=org.name, kind=org.kind, subtype=org.subtype, verified=org.verified
    )
