from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema

from .auth import token_auth
from .models import OrgKind, OrgSubtype

router = Router(tags=["accounts"])


class OrganisationOut(Schema):
    id: int
    name: str
    kind: OrgKind
    subtype: OrgSubtype | Literal[""]
    verified: bool


@router.get("/organisations/me", auth=token_auth, response={200: OrganisationOut})
def organisation_me(request: HttpRequest) -> OrganisationOut:
    """The organisation the bearer token acts for (a cheap way to check a token)."""
    org = request.auth  # type: ignore[attr-defined]
    return OrganisationOut(
        id=org.pk, name=org.name, kind=org.kind, subtype=org.subtype, verified=org.verified
    )
