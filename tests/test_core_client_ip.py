"""The client's address (kolaborasi.core.client.client_ip), as the throttles and the
login lockouts see it: REMOTE_ADDR unless TRUSTED_PROXIES says which proxies to believe;
a forged X-Forwarded-For changes nothing without them."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.test.utils import override_settings

from kolaborasi.core.client import client_ip, client_key
from tests.throttle_support import assert_throttled, rates

EXPORT = "/api/v1/exports/needs.csv"


def _ip(remote: str, forwarded: str | None = None) -> str:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))  # type: ignore[arg-type]


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert _ip("203.0.113.9") == "203.0.113.9"
    assert _ip("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert _ip("203.0.113.9", "198.51.100.1, 10.0.0.1") == "203.0.113.9"


@override_settings(TRUSTED_PROXIES=1)
def test_one_trusted_proxy_reads_the_rightmost_entry() -> None:
    # nginx appends the address it saw; whatever the client wrote is further left.
    assert _ip("127.0.0.1", "198.51.100.1") == "198.51.100.1"
    assert _ip("127.0.0.1", "6.6.6.6, 198.51.100.1") == "198.51.100.1"
    assert _ip("127.0.0.1") == "127.0.0.1"  # not through the proxy: only the peer is known


@override_settings(TRUSTED_PROXIES=2)
def test_two_trusted_proxies_skip_one_hop() -> None:
    assert _ip("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.1") == "198.51.100.1"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "127.0.0.1"])
def test_trusted_networks_are_skipped_right_to_left() -> None:
    assert _ip("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.1.2.3") == "198.51.100.1"
    assert _ip("10.0.0.5", "198.51.100.1") == "198.51.100.1"
    # A peer that is not one of our proxies: its header is not believed.
    assert _ip("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    # Garbage is never written by our proxies: the last good hop is the answer.
    assert _ip("127.0.0.1", "198.51.100.1, bukan-alamat, 10.1.2.3") == "10.1.2.3"
    assert _ip("127.0.0.1", "[2001:db8::7]:443") == "2001:db8::7"


def test_ipv6_clients_are_counted_per_64() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")
    assert client_key(request) == "2001:db8:1:2::"  # type: ignore[arg-type]


@pytest.mark.django_db
@pytest.mark.usefixtures("one_window")
@rates(exports="2/10m")
def test_a_forged_header_does_not_escape_a_throttle() -> None:
    client = Client()
    for n in range(2):
        assert client.get(EXPORT, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code == 200
    assert_throttled(client.get(EXPORT, HTTP_X_FORWARDED_FOR="198.51.100.99"), api=True)


@pytest.mark.django_db
@pytest.mark.usefixtures("one_window")
@rates(exports="2/10m")
@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_behind_a_trusted_proxy_each_client_has_its_own_count() -> None:
    client = Client()  # the test client's peer is 127.0.0.1: our proxy
    for _n in range(2):
        assert client.get(EXPORT, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert_throttled(client.get(EXPORT, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1"), api=True)
    assert client.get(EXPORT, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200
