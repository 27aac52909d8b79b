"""Every HTML page fits a phone: real headless Chromium visits each page of the URLconf
as the public and as each persona, at 360×740 and at 1366×768, and the page never
scrolls sideways (``document.documentElement.scrollWidth`` ≤ the viewport's width); the
public pages also at 1366 px with the text at 200 %. At 360 px every page is also checked
with axe-core: no critical or serious accessibility problem. Every page is also seen in
English at 360 px (the language chosen with the switch's cookie), and no page shows a
word of the other language's deny-list (tests/one_language.py).

The routes come from the URLconf itself, so a new page is covered without editing this
test. A route's path parameters are filled from ``PARAMETERS`` (parameter name → a value
made from the test world for the visiting persona); a new route with a parameter missing
there fails the test until a value is added. Skipped: the API, the admin, the language
switch, static and media files, file downloads (a route ending in an extension such as
``.json``, ``.svg`` or ``.pdf``), and what does not answer a GET with a 200 HTML page
for the visitor (POST-only endpoints answer 405, pages of other roles 302/403), and the
fragments htmx swaps into a page (no ``<html>``).

Screenshots go to ``var/screenshots/layout/`` (ignored by git) for a person to review: of
every page with ``make screenshots`` (SCREENSHOTS=1), otherwise of the pages that do not fit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.browser import ALL_PICTURES, Settled, browser_fixture, demo_url_fixture, picture  # noqa: F401
from tests.one_language import check_page, proper_names

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots" / "layout"
VIEWPORTS = {"360": {"width": 360, "height": 740}, "1366": {"width": 1366, "height": 768}}
# Each language and the sizes it is seen at: Indonesian, the default, at both; English at
# the phone's.
LANGUAGES = {"id": ("360", "1366"), "en": ("360",)}
VISITORS = ["publik", "dina", "agus", "ratna", "oki", "luar"]
SKIPPED_PREFIXES = ("api/", "admin/", "i18n/", "static/", "media/")
# A route whose last part has a file extension answers a file, not a page.
FILE_ROUTE = re.compile(r"\.[a-z0-9]+$")
# Pages each visitor's run must have seen fit: a broken world (no personas, no demo)
# must not pass by visiting nothing.
PUBLIC_PAGES = {"/", "/peta/", "/daftar/", "/cari/", "/data/"}
MUST_VISIT = {
    "publik": PUBLIC_PAGES,
    "dina": PUBLIC_PAGES | {"/akun/", "/komitmen/"},
    "agus": PUBLIC_PAGES | {"/akun/", "/komitmen/"},
    "ratna": PUBLIC_PAGES | {"/akun/", "/komitmen/konfirmasi/"},
    "oki": PUBLIC_PAGES
    | {"/akun/", "/akun/operator/undang/", "/akun/operator/program/", "/akun/operator/program/baru/"},
    "luar": PUBLIC_PAGES | {"/akun/", "/akun/mulai/"},
}


@dataclass
class World:
    """The objects the pages are about, made once for the test."""

    personas: dict[str, Any]
    target_id: int
    pledge_ids: dict[str, int]
    donation_id: int
    template_id: int
    plan_id: int
    extra: dict[str, Any] = field(default_factory=dict)

    def organisation_id(self, visitor: str) -> int:
        persona = self.personas.get(visitor)
        if persona is not None and persona.organisation is not None:
            return int(persona.organisation.pk)
        return int(self.personas["agus"].organisation.pk)

    def token_id(self, visitor: str) -> int:
        from kolaborasi.accounts.models import ApiToken

        org_id = self.organisation_id(visitor)
        return int(ApiToken.objects.filter(organisation_id=org_id).values_list("pk", flat=True)[0])


# Path parameter name → its value for a visitor (a persona's name or "publik").
PARAMETERS: dict[str, Callable[[World, str], object]] = {
    "target_id": lambda w, v: w.target_id,
    "pledge_id": lambda w, v: w.pledge_ids.get(v, w.pledge_ids["dina"]),
    "org_id": World.organisation_id,
    "organisation_id": World.organisation_id,
    "aggregator_id": lambda w, v: w.organisation_id("agus"),
    "donation_id": lambda w, v: w.donation_id,
    "template_id": lambda w, v: w.template_id,
    "plan_id": lambda w, v: w.plan_id,
    "token_id": World.token_id,
    "delivery_id": lambda w, v: w.extra["delivery_id"],
    "campaign_id": lambda w, v: w.extra["campaign_id"],
    # An e-mail link's token: an unknown one shows the "link not valid" page.
    "token": lambda w, v: "tautan-tidak-dikenal",
}


@dataclass
class Route:
    pattern: str  # e.g. "komitmen/baru/<int:target_id>/"
    params: list[str]


def _routes(patterns: list[URLPattern | URLResolver] | None = None, prefix: str = "") -> Iterator[Route]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        text = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, text)
        else:
            yield Route(text, list(entry.pattern.converters) if hasattr(entry.pattern, "converters") else [])


def html_routes() -> tuple[list[Route], list[str]]:
    """The routes that may answer an HTML page, and the skipped ones."""
    kept, skipped = [], []
    for route in _routes():
        raw = route.pattern
        if raw.startswith("^") or raw.startswith(SKIPPED_PREFIXES) or FILE_ROUTE.search(raw.rstrip("/")):
            skipped.append(raw)
        else:
            kept.append(route)
    return kept, skipped


def route_path(route: Route, world: World, visitor: str) -> str:
    missing = [name for name in route.params if name not in PARAMETERS]
    assert not missing, (
        f"route {route.pattern!r} has path parameters {missing} that tests/test_browser_layout.py "
        "cannot fill: add a value factory for them to PARAMETERS so the page is checked"
    )
    values = {name: PARAMETERS[name](world, visitor) for name in route.params}
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route.pattern)


def make_world() -> World:
    from kolaborasi.funds.plans import plan_create
    from kolaborasi.funds.services import donation_create, template_save
    from kolaborasi.pledges.services import pledge_create
    from kolaborasi.regions.models import Region
    from kolaborasi.targets.models import AidType
    from tests.personas import make_personas
    from tests.pledges_support import ratna_need

    personas = make_personas()
    dina, agus = personas["dina"], personas["agus"]
    donor, aggregator = dina.organisation, agus.organisation
    assert donor is not None and aggregator is not None
    need = ratna_need()
    today = timezone.localdate()
    pledges = {
        "dina": pledge_create(
            actor=dina.user,
            organisation=donor,
            need=need,
            quantity=5,
            planned_delivery=today + dt.timedelta(days=3),
        ).pk,
        "agus": pledge_create(
            actor=agus.user,
            organisation=aggregator,
            need=need,
            quantity=4,
            planned_delivery=today + dt.timedelta(days=2),
        ).pk,
    }
    donation = donation_create(
        actor=dina.user,
        donor=donor,
        aggregator=aggregator,
        amount=5_000_000,
        donated_on=today,
    )
    sembako = AidType.objects.get(slug="sembako")
    template = template_save(
        actor=agus.user,
        aggregator=aggregator,
        aid_type=sembako,
        name="Paket sembako keluarga",
        contents="beras 5 kg, minyak 1 l, gula 1 kg",
        unit_cost=150_000,
    )
    plan = plan_create(
        actor=agus.user,
        aggregator=aggregator,
        aid_type=sembako,
        region=Region.objects.get(code="31.74.05"),
        quantity=40,
    )
    # A delivery under dispute: its page shows the review to the RW and operators and
    # the answer form to the donor; the list of open disputes is not empty.
    from kolaborasi.pledges.confirmation import pledge_dispute
    from kolaborasi.pledges.models import Pledge
    from kolaborasi.pledges.services import delivery_record

    ratna = personas["ratna"]
    assert ratna.organisation is not None
    delivery = delivery_record(
        actor=dina.user,
        organisation=donor,
        pledge=Pledge.objects.get(pk=pledges["dina"]),
        quantity=2,
        delivered_on=today,
    )
    pledge_dispute(
        actor=ratna.user,
        organisation=ratna.organisation,
        pledge=delivery.pledge,
        delivery=delivery,
        reason="Baru satu paket yang diterima warga",
    )
    return World(
        personas=personas,
        target_id=need.target_id,
        pledge_ids=pledges,
        donation_id=donation.pk,
        template_id=template.pk,
        plan_id=plan.pk,
        extra={"delivery_id": delivery.pk, "campaign_id": need.campaign_id},
    )


def _session_cookie(persona: Any, base_url: str) -> dict[str, Any]:
    """A logged-in session (second factor included) for the browser, without typing."""
    from tests.personas import login

    client = Client()
    login(client, persona)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


OVERFLOWING = """() => {
  const width = window.innerWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      const parent = el.parentElement && el.parentElement.getBoundingClientRect();
      if (!parent || parent.right <= width + 1) {
        const classes = typeof el.className === 'string' ? el.className.trim().split(/\\s+/) : [];
        const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
        const dotted = classes.filter(Boolean).map((c) => '.' + c).join('');
        out.push(name + dotted + ' (' + Math.round(box.right) + 'px)');
      }
    }
  }
  return out.slice(0, 5);
}"""


def _overflow(page: Any, label: str, shot: str) -> list[str]:
    """A problem when the page is wider than the viewport; then (or with every picture
    asked for) the page's screenshot."""
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    too_wide = scroll_width > width
    if too_wide or ALL_PICTURES:
        picture(page, SCREENSHOTS / shot)
    if not too_wide:
        return []
    return [f"{label}: {scroll_width}px wide; {page.evaluate(OVERFLOWING)}; see {SCREENSHOTS / shot}"]


# axe-core (a devDependency from npm, read from node_modules; never a CDN).
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""


def _accessibility(page: Any, label: str) -> list[str]:
    """Critical and serious axe-core violations of the page, named (axe-core is in every
    page of the Indonesian pass, put there by the context's start-up script)."""
    return [f"{label}: {v}" for v in page.evaluate(AXE_RUN)]


def _check_header(page: Any, base_url: str) -> None:
    """On a phone the navigation is one menu button that opens the links (without
    JavaScript: a <details>); on a laptop the links show and the button does not."""
    page.set_viewport_size(VIEWPORTS["360"])
    page.goto(base_url + "/")
    nav_link = page.locator(".site-header nav a[href='/peta/']")
    summary = page.locator(".site-menu > summary")
    assert summary.is_visible() and not nav_link.is_visible()
    assert (summary.bounding_box() or {}).get("height", 0) >= 44
    summary.click()
    assert nav_link.is_visible() and (nav_link.bounding_box() or {}).get("height", 0) >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["360"]["width"]
    page.screenshot(path=str(SCREENSHOTS / "360-publik-menu-terbuka.png"))
    page.set_viewport_size(VIEWPORTS["1366"])
    page.goto(base_url + "/")
    assert nav_link.is_visible() and not summary.is_visible()


def _shot_name(visitor: str, path: str, size: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "beranda"
    return f"{size}-{visitor}-{slug}.png"


def _context(browser: Any, demo_url: str, world: World, visitor: str, language: str) -> Any:
    # bypass_csp: only so that axe-core can be added to the page for the check.
    context = browser.new_context(locale="id-ID", viewport=VIEWPORTS["360"], bypass_csp=True)
    # The language is the person's choice, kept in the switch's cookie (core/language.py).
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": demo_url}]
    if visitor != "publik":
        cookies.append(_session_cookie(world.personas[visitor], demo_url))
    context.add_cookies(cookies)
    if language == "id":
        context.add_init_script(path=AXE)
    return context


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_page_fits_from_phone_to_laptop(browser: Any, demo_url: str, visitor: str) -> None:
    """In Indonesian at both sizes (axe-core at 360 px), in English at 360 px; in both
    no word of the other language. One test per visitor, so that the test workers share
    the pages between them."""
    routes, _skipped = html_routes()
    world = make_world()
    names = proper_names()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    violations: list[str] = []
    mixed: list[str] = []
    visited: set[str] = set()
    for language, sizes in LANGUAGES.items():
        context = _context(browser, demo_url, world, visitor, language)
        page = context.new_page()
        page.set_default_timeout(20_000)
        settled = Settled(page)
        if visitor == "publik" and language == "id":
            _check_header(page, demo_url)
        for route in routes:
            path = route_path(route, world, visitor)
            answer = page.request.get(demo_url + path, max_redirects=0)
            if answer.status != 200 or not answer.headers.get("content-type", "").startswith("text/html"):
                continue
            if "<html" not in answer.text()[:1000].lower():
                continue  # a fragment for htmx (the amount read back, the area picker), not a page
            visited.add(path)
            # Loaded once at the first size and then resized, as a person turns a
            # tablet or widens a window: the layout must answer the width alone.
            page.set_viewport_size(VIEWPORTS[sizes[0]])
            settled.goto(demo_url + path)
            for size in sizes:
                page.set_viewport_size(VIEWPORTS[size])
                label = f"{visitor} {path} at {size}px" + ("" if language == "id" else f" ({language})")
                shot = _shot_name(visitor, path, size if language == "id" else f"{size}-{language}")
                problems += _overflow(page, label, shot)
                if size == "360":
                    mixed += check_page(page, label, language, names)
                    if language == "id":
                        violations += _accessibility(page, f"{visitor} {path}")
            if visitor == "publik" and language == "id":
                # Text zoomed to 200 % on the laptop: the rem/em layout must still fit.
                page.evaluate("document.documentElement.style.fontSize = '200%'")
                shot = _shot_name(visitor, path, "1366-teks-200")
                problems += _overflow(page, f"{visitor} {path} at 1366px, text 200 %", shot)
        context.close()
    assert visited >= MUST_VISIT[visitor], f"never saw {sorted(MUST_VISIT[visitor] - visited)} answer a page"
    assert not problems, "pages wider than the screen:\n" + "\n".join(problems)
    assert not mixed, "words of the other language on a page:\n" + "\n".join(mixed)
    assert not violations, "critical or serious accessibility problems (axe-core):\n" + "\n".join(violations)


def test_every_route_parameter_has_a_value() -> None:
    """Caught before any browser starts: a route whose parameter nobody fills."""
    routes, skipped = html_routes()
    assert routes and any(s.startswith("api/") for s in skipped)
    missing = {name for route in routes for name in route.params if name not in PARAMETERS}
    assert not missing, f"add value factories to PARAMETERS for {sorted(missing)}"
