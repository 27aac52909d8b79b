from django.http import HttpRequest
from ninja import Router, Schema

from .models import AidType

router = Router(tags=["targets"])


class AidTypeOut(Schema):
    slug: str
    name: str
    unit: str


@router.get("/aid-types", response=list[AidTypeOut], summary="Aid types (jenis bantuan)")
def list_aid_types(request: HttpRequest) -> list[AidType]:
    return list(AidType.objects.filter(active=True))
