"""Every write an operator makes in the admin on needs, targets, aid types,
organisations, memberships and people goes through the same service as the pages
(checked the same way, the reason required where the service requires one) and writes
exactly one audit event of the same shape, or is refused and changes nothing. Every
add, change and delete page of those models is tried through HTTP."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from kolaborasi.accounts.models import Membership, Organisation
from kolaborasi.accounts.services import ORG_AUDIT_FIELDS
from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.personal import PREFIX, event_opened
from kolaborasi.audit.services import audit_verify
from kolaborasi.targets.models import AidType, Need, Target
from tests.personas import PASSWORD, login

pytestmark = pytest.mark.django_db


class _Form(HTMLParser):
    """The values a browser would send for the admin's main form, as they are shown."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name") or ""
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._in_form = True
        if not self._in_form or (not name and tag != "option"):
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value") or "on")
                return
            self.data[name] = a.get("value") or ""
        elif tag == "select":
            self._select = name
            self.data.setdefault(name, [] if "multiple" in a else "")
        elif tag == "option" and self._select and "selected" in a:
            if isinstance(self.data[self._select], list):
                self.data[self._select].append(a.get("value") or "")
            else:
                self.data[self._select] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data.lstrip("\n")


def form_of(client: Client, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = _Form()
    parser.feed(response.content.decode())
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser.data


@pytest.fixture
def operator(client: Client, personas):  # type: ignore[no-untyped-def]
    """Oki, the operator, as a superuser signed in with the second factor."""
    oki = personas["oki"]
    oki.user.is_staff = oki.user.is_superuser = True
    oki.user.save()
    login(client, oki)
    return oki


def _events() -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("seq"))


def _new_events(before: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))


def _last_seq() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def test_a_need_changes_through_need_update_with_a_reason(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    need = Need.objects.filter(held=0).select_related("target").first()
    assert need is not None
    url = f"/admin/targets/need/{need.pk}/change/"
    data = form_of(client, url)
    assert "quantity" in data and "reason" in data
    assert "target" not in data and "held" not in data  # read-only: no service writes them
    start = _last_seq()

    # Without a reason: refused with the service's message, nothing changed.
    response = client.post(url, {**data, "quantity": need.quantity + 5, "reason": ""})
    assert response.status_code == 200
    assert "Alasan perubahan wajib diisi." in response.content.decode()
    need.refresh_from_db()
    assert _new_events(start) == []

    response = client.post(url, {**data, "quantity": need.quantity + 5, "reason": "pendataan ulang"})
    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = _new_events(start)
    assert (event.action, event.object_type, event.object_id) == (
        "need.changed",
        "targets.target",
        str(need.target_id),
    )
    assert event.actor_id == operator.user.pk
    assert event.organisation_id == operator.organisation.pk
    assert event.after is not None
    assert event.after["reason"] == "pendataan ulang"
    assert set(event.after) == {"size", "needs", "by_need", "reason", "as_of"}
    refreshed = Need.objects.get(pk=need.pk)
    assert refreshed.quantity == need.quantity + 5
    assert Target.objects.get(pk=need.target_id).size == need.quantity + 5

    # No add, no delete.
    assert client.get("/admin/targets/need/add/").status_code == 403
    assert client.get(f"/admin/targets/need/{need.pk}/delete/").status_code == 403
    assert client.post(f"/admin/targets/need/{need.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Need.objects.filter(pk=need.pk).exists()
    assert len(_new_events(start)) == 1
    assert audit_verify().ok


def test_a_target_size_changes_through_need_update(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    target = Target.objects.filter(needs__isnull=False).first()
    assert target is not None
    url = f"/admin/targets/target/{target.pk}/change/"
    data = form_of(client, url)
    assert "size" in data and "reason" in data
    assert "name" not in data and "head_name" not in data  # read-only: no service writes them
    start = _last_seq()

    response = client.post(url, {**data, "size": target.size + 3, "reason": ""})
    assert response.status_code == 200
    assert "Alasan perubahan wajib diisi." in response.content.decode()
    assert Target.objects.get(pk=target.pk).size == target.size
    assert _new_events(start) == []

    response = client.post(url, {**data, "size": target.size + 3, "reason": "survei kelurahan"})
    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = _new_events(start)
    assert event.action == "need.changed"
    assert event.after is not None and event.after["size"] == target.size + 3
    assert set(Need.objects.filter(target=target).values_list("quantity", flat=True)) == {target.size + 3}

    # Saving the page again without a change writes nothing.
    again = form_of(client, url)
    assert client.post(url, again).status_code == 302
    assert len(_new_events(start)) == 1

    assert client.get("/admin/targets/target/add/").status_code == 403
    assert client.get(f"/admin/targets/target/{target.pk}/delete/").status_code == 403
    assert Target.objects.filter(pk=target.pk).exists()
    assert audit_verify().ok


def test_a_staff_member_outside_the_operators_cannot_change_a_count(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    staff = get_user_model().objects.create_superuser("staf", "staf@example.org", PASSWORD)
    login(client, staff)
    need = Need.objects.first()
    assert need is not None
    url = f"/admin/targets/need/{need.pk}/change/"
    data = form_of(client, url)
    start = _last_seq()
    response = client.post(url, {**data, "quantity": need.quantity + 1, "reason": "coba"})
    assert response.status_code == 200
    assert "Hanya anggota organisasi operator" in response.content.decode()
    assert Need.objects.get(pk=need.pk).quantity == need.quantity
    assert _new_events(start) == []


def test_aid_types_are_added_and_changed_through_the_service(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    start = _last_seq()
    response = client.post(
        "/admin/targets/aidtype/add/",
        {
            "slug": "air-bersih",
            "name": "Air bersih",
            "name_en": "Clean water",
            "unit": "galon",
            "sort_order": "9",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    aid = AidType.objects.get(slug="air-bersih")
    [created] = _new_events(start)
    assert (created.action, created.object_id) == ("aid_type.created", str(aid.pk))
    assert created.after == {
        "slug": "air-bersih",
        "name": "Air bersih",
        "name_en": "Clean water",
        "unit": "galon",
        "sort_order": 9,
        "active": True,
    }

    url = f"/admin/targets/aidtype/{aid.pk}/change/"
    data = form_of(client, url)
    data.pop("active", None)  # switched off: the way to retire an aid type
    assert client.post(url, data).status_code == 302
    changed = _new_events(start)[1:]
    assert [e.action for e in changed] == ["aid_type.changed"]
    assert changed[0].before is not None and changed[0].before["active"] is True
    assert changed[0].after is not None and changed[0].after["active"] is False

    # The list no longer edits rows in place, and nothing is deleted.
    listing = client.get("/admin/targets/aidtype/").content.decode()
    assert 'name="form-0-sort_order"' not in listing
    assert client.get(f"/admin/targets/aidtype/{aid.pk}/delete/").status_code == 403
    assert len(_new_events(start)) == 2
    assert audit_verify().ok


def test_organisations_and_members_change_through_the_services(client: Client, operator, personas) -> None:  # type: ignore[no-untyped-def]
    luar = personas["luar"].user
    start = _last_seq()
    data = form_of(client, "/admin/accounts/organisation/add/")
    data.update(
        {
            "name": "Yayasan Baru",
            "kind": "aggregator",
            "subtype": "",
            "description": "Dapur umum",
            "memberships-TOTAL_FORMS": "1",
            "memberships-0-user": str(luar.pk),
            "memberships-0-role": "owner",
        }
    )
    data.pop("verified", None)
    response = client.post("/admin/accounts/organisation/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    org = Organisation.objects.get(name="Yayasan Baru")
    events = _new_events(start)
    assert [e.action for e in events] == ["organisation.created", "membership.added"]
    assert events[0].after is not None and tuple(sorted(events[0].after)) == tuple(sorted(ORG_AUDIT_FIELDS))
    # The member's username is personal: the chain holds its commitment, the operator
    # screens the value (kolaborasi.audit.personal).
    assert events[1].after is not None and events[1].after["user"].startswith(PREFIX)
    assert event_opened(events[1])["after"] == {"user": luar.get_username(), "role": "owner"}

    # A change: one event, the same shape as the one the create wrote.
    url = f"/admin/accounts/organisation/{org.pk}/change/"
    data = form_of(client, url)
    assert "verified" not in data  # verified through the "verify" action, as on the page
    mark = _last_seq()
    assert client.post(url, {**data, "description": "Dapur umum dan air bersih"}).status_code == 302
    [changed] = _new_events(mark)
    assert changed.action == "organisation.changed"
    assert changed.before is not None and changed.after is not None
    assert set(changed.before) == set(changed.after) == set(ORG_AUDIT_FIELDS)
    assert changed.after["description"] == "Dapur umum dan air bersih"

    # A refused change (a formula as the name) changes nothing.
    mark = _last_seq()
    data = form_of(client, url)
    response = client.post(url, {**data, "name": "=HYPERLINK(1)"})
    assert response.status_code == 200
    assert Organisation.objects.get(pk=org.pk).name == "Yayasan Baru"
    assert _new_events(mark) == []

    # A member's role, then the member taken out: one event each, same shape as the pages.
    membership = Membership.objects.get(organisation=org, user=luar)
    data = form_of(client, url)
    assert client.post(url, {**data, "memberships-0-role": "member"}).status_code == 302
    [role] = _new_events(mark)
    assert role.action == "membership.changed"
    assert event_opened(role)["before"] == {"user": luar.get_username(), "role": "owner"}
    assert event_opened(role)["after"] == {"user": luar.get_username(), "role": "member"}
    mark = role.seq
    data = form_of(client, url)
    assert client.post(url, {**data, "memberships-0-DELETE": "on"}).status_code == 302
    [removed] = _new_events(mark)
    assert removed.action == "membership.removed"
    assert not Membership.objects.filter(pk=membership.pk).exists()

    # Never deleted: no page, no bulk action.
    mark = _last_seq()
    assert client.get(f"/admin/accounts/organisation/{org.pk}/delete/").status_code == 403
    assert client.post(f"/admin/accounts/organisation/{org.pk}/delete/", {"post": "yes"}).status_code == 403
    listing = client.get("/admin/accounts/organisation/").content.decode()
    assert "delete_selected" not in listing
    client.post(
        "/admin/accounts/organisation/",
        {"action": "delete_selected", "_selected_action": [org.pk], "post": "yes"},
    )
    assert Organisation.objects.filter(pk=org.pk).exists()
    assert _new_events(mark) == []
    assert audit_verify().ok


def test_people_are_deactivated_not_deleted(client: Client, operator, personas) -> None:  # type: ignore[no-untyped-def]
    luar = personas["luar"].user
    assert client.get(f"/admin/auth/user/{luar.pk}/delete/").status_code == 403
    assert "delete_selected" not in client.get("/admin/auth/user/").content.decode()
    start = _last_seq()
    response = client.post("/admin/auth/user/", {"action": "deactivate", "_selected_action": [luar.pk]})
    assert response.status_code == 302
    luar.refresh_from_db()
    assert luar.is_active is False
    [event] = _new_events(start)
    assert (event.action, event.object_id, event.actor_id) == (
        "user.deactivated",
        str(luar.pk),
        operator.user.pk,
    )
    # Again: already inactive, nothing written.
    client.post("/admin/auth/user/", {"action": "deactivate", "_selected_action": [luar.pk]})
    assert len(_new_events(start)) == 1
    # The change page cannot flip it behind the action's back.
    data = form_of(client, f"/admin/auth/user/{luar.pk}/change/")
    assert "is_active" not in data
    client.post("/admin/auth/user/", {"action": "reactivate", "_selected_action": [luar.pk]})
    luar.refresh_from_db()
    assert luar.is_active is True
    assert [e.action for e in _new_events(start)] == ["user.deactivated", "user.reactivated"]
    assert audit_verify().ok


def test_accounts_added_edited_and_their_passwords_set_in_the_admin_are_audited(
    client: Client, operator, personas
) -> None:  # type: ignore[no-untyped-def]
    """Who made an account, who gave whom staff or superuser rights, who set whose
    password: each one event, in the change's transaction, never the password or its
    hash; an edit that changes nothing writes nothing."""
    User = get_user_model()
    start = _last_seq()
    response = client.post(
        "/admin/auth/user/add/",
        {
            "username": "petugas_baru",
            "password1": "Tahan-banjir-2026!",
            "password2": "Tahan-banjir-2026!",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    made = User.objects.get(username="petugas_baru")
    [created] = _new_events(start)
    assert (created.action, created.object_id, created.actor_id) == (
        "user.created",
        str(made.pk),
        operator.user.pk,
    )
    assert isinstance(created.after, dict)
    assert created.after["username"].startswith(PREFIX) and created.after["is_superuser"] is False
    assert event_opened(created)["after"]["username"] == "petugas_baru"
    assert made.password not in str(created.after)

    # Rights raised: the event names exactly what changed, before and after.
    start = _last_seq()
    data = form_of(client, f"/admin/auth/user/{made.pk}/change/")
    data.update({"is_staff": "on", "is_superuser": "on", "email": "petugas@contoh.id"})
    response = client.post(f"/admin/auth/user/{made.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    [changed] = _new_events(start)
    assert changed.action == "user.changed"
    assert "petugas@contoh.id" not in str(changed.after)
    assert event_opened(changed)["before"] == {"email": "", "is_staff": False, "is_superuser": False}
    assert event_opened(changed)["after"] == {
        "email": "petugas@contoh.id",
        "is_staff": True,
        "is_superuser": True,
    }

    # Saved again unchanged: nothing written.
    start = _last_seq()
    client.post(f"/admin/auth/user/{made.pk}/change/", form_of(client, f"/admin/auth/user/{made.pk}/change/"))
    assert _new_events(start) == []

    # A password set by the operator: an event without the password or its hash.
    start = _last_seq()
    response = client.post(
        f"/admin/auth/user/{made.pk}/password/",
        {"password1": "Ganti-sandi-2026!", "password2": "Ganti-sandi-2026!", "set_usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    [password] = _new_events(start)
    made.refresh_from_db()
    assert password.action == "user.password_set" and password.after == {"password_usable": True}
    assert made.password not in str(password.before) + str(password.after)
    assert "Ganti-sandi" not in str(password.after)
    assert audit_verify().ok
