"""One error model: an application error carries its status, field and message; a view
that does not handle one answers the refusal page, the API answers JSON."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.utils import translation

from kolaborasi.core.errors import AppError, Conflict, Forbidden, Invalid, NotFound
from kolaborasi.pledges.errors import NeedExhausted
from tests.personas import login


def test_each_error_says_its_status_and_names_its_field() -> None:
    assert (Invalid.status, Conflict.status, Forbidden.status, NotFound.status) == (422, 409, 403, 404)
    assert Invalid("Harus lebih dari 0.", field="amount").detail == "amount: Harus lebih dari 0."
    assert Conflict("Rencana sudah committed.").detail == "Rencana sudah committed."
    # Code written against Django's own exceptions keeps catching these.
    assert issubclass(Forbidden, PermissionDenied) and issubclass(NotFound, Http404)
    assert all(issubclass(e, AppError) for e in (Invalid, Conflict, Forbidden, NotFound))


def test_a_message_is_indonesian_with_its_english_in_the_catalogue() -> None:
    with translation.override("id"):
        assert str(NeedExhausted(3)) == "Jumlah melebihi sisa kebutuhan: tinggal 3."
    with translation.override("en"):
        refused = NeedExhausted(3)
    assert str(refused) == "The quantity exceeds the remaining need: 3 left."
    assert refused.status == 409 and refused.extra() == {"remaining": 3}
    assert refused.detail == str(refused)  # the API's 409 names the units left instead


@pytest.mark.django_db
def test_an_error_an_html_view_does_not_handle_is_the_refusal_page(personas) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    login(client, personas["dina"])  # a donor, on the aggregators' planner
    response = client.get("/dana/rencana/")
    assert response.status_code == 403
    assert "core/refusal.html" in [t.name for t in response.templates]
    assert "Hanya agregator yang dapat melakukannya." in response.content.decode()
