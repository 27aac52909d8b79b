"""Who is asking: the client's address, as the throttles and the login lockouts see it.

Without trusted proxies (the default) the address is the TCP peer, ``REMOTE_ADDR``, and
any ``X-Forwarded-For`` header is ignored: a client can write whatever it likes there.
Behind proxies, ``TRUSTED_PROXIES`` says which hops to believe, and the address is read
from ``X-Forwarded-For`` right to left, since each proxy appends the address it received
the request from and only the entries appended by our own proxies can be trusted:

* a count ``N``: the application is reachable only through N proxies (``REMOTE_ADDR`` is
  the nearest); the client is the N-th entry from the right;
* a list of addresses or CIDR networks: ``REMOTE_ADDR`` must be one of them (otherwise the
  request came around the proxies and the header is ignored); hops from the right that
  are listed are skipped, and the first unlisted one is the client.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip

type Network = ipaddress.IPv4Network | ipaddress.IPv6Network
type Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Throttles count IPv6 clients per /64: one subscriber usually holds a whole /64 and
# could otherwise take a fresh address for every request.
IPV6_THROTTLE_PREFIX = 64


def client_ip(request: HttpRequest) -> str:
    """The client's address as text (also django-axes' AXES_CLIENT_IP_CALLABLE)."""
    cached: str | None = getattr(request, "_client_ip", None)
    if cached is not None:
        return cached
    peer = request.META.get("REMOTE_ADDR") or ""
    trusted = settings.TRUSTED_PROXIES
    if isinstance(trusted, int):
        address = _by_count(request, peer, trusted)
    elif trusted:
        address = _by_networks(request, peer, _networks(tuple(trusted)))
    else:
        address = peer
    request._client_ip = address  # type: ignore[attr-defined]
    return address


def client_key(request: HttpRequest) -> str:
    """The address a throttle counts under: the address itself, or its /64 for IPv6."""
    address = client_ip(request)
    parsed = _parse(address)
    if parsed is None:
        return address or "unknown"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_THROTTLE_PREFIX}", strict=False).network_address)
    return str(parsed)


def _by_count(request: HttpRequest, peer: str, count: int) -> str:
    if count <= 0:
        return peer
    # django-ipware's proxy count counts the hops *inside* the header (the nearest proxy
    # is REMOTE_ADDR, not in it); with fewer entries than that the request did not pass
    # all our proxies, and only the peer is known.
    found, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=count - 1,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,
    )
    return found or peer


def _by_networks(request: HttpRequest, peer: str, networks: tuple[Network, ...]) -> str:
    if not _trusted(_parse(peer), networks):
        return peer
    client = peer
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed(header.split(",")):
        hop = _parse(entry)
        if hop is None:
            # Garbage where an address should be: our proxies never write that, so
            # everything from here leftwards came from the client; the last good hop
            # is the best answer.
            break
        client = str(hop)
        if not _trusted(hop, networks):
            break
    return client


def _trusted(address: Address | None, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in net for net in networks if net.version == address.version)


def _parse(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.5:51234"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
