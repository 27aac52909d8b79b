"""Helpers for browser tests: real headless Chromium (Debian's `chromium`) driven by
Playwright for Python against pytest-django's live_server.

A plugin of tests/conftest.py: tests ask for ``page`` (and ``demo_url`` for the live
server with the demo loaded); mark them ``browser``. Screenshots go to ``test-artifacts/``
(gitignored)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# Every page's picture for people to look at (`make screenshots`, or SCREENSHOTS=1): the
# layout test then keeps a full-page picture of each page at each size. Otherwise it keeps
# only the pictures of pages that do not fit; taking all of them is a third of its time.
ALL_PICTURES = os.environ.get("SCREENSHOTS", "") == "1"


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    # An expectation waits as long as an action does (pages' default timeout below):
    # under a full test run on two cores a map or a filtered list can take more than
    # Playwright's default five seconds to show what it will show.
    expect.set_options(timeout=20_000)

    # Playwright's sync API runs an event loop in this thread, which makes Django refuse
    # ORM calls here ("async context"). The ORM calls of these tests are plain
    # synchronous set-up, so allow them while the browser is open, and restore after.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _new_page(browser: Any, viewport: dict[str, int]) -> tuple[Any, list[str]]:
    """A fresh page in Indonesian (its own cookies), with the script errors and failed
    loads it meets collected in the list."""
    context = browser.new_context(locale="id-ID", viewport=viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def console(msg: Any) -> None:
        # The site has no favicon; any other failed load or script error counts.
        if msg.type == "error" and not str(msg.location.get("url", "")).endswith("/favicon.ico"):
            errors.append(f"{msg.text} ({msg.location.get('url', '')})")

    page.on("console", console)
    page.set_default_timeout(20_000)
    return page, errors


@pytest.fixture(name="page")
def page_fixture(browser: Any) -> Iterator[Any]:
    """A fresh page in Indonesian; JavaScript errors fail the test."""
    page, errors = _new_page(browser, {"width": 1280, "height": 900})
    yield page
    page.context.close()
    assert not errors, f"browser errors: {errors}"


PHONE = {"width": 360, "height": 740}


def picture(page: Any, path: Path) -> None:
    """The whole page as a picture for people to look at. A full-page capture of a long
    page can take long on a loaded machine; the picture is not what a test measures, so
    then the visible part is kept instead of failing the test."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.screenshot(path=str(path), full_page=True, animations="disabled", timeout=45_000)
    except PlaywrightTimeout:
        page.screenshot(path=str(path), animations="disabled", timeout=45_000)


def new_phone(browser: Any, media_root: Path) -> tuple[Any, list[str]]:
    """Another phone (360 × 740, its own cookies) for a journey with several people; the
    errors it meets are collected in the list, to be asserted empty at the end. It is
    served ``/media/`` from ``media_root`` (``serve_media``)."""
    page, errors = _new_page(browser, PHONE)
    serve_media(page, media_root)
    return page, errors


@pytest.fixture(name="media_root")
def media_root_fixture(settings: Any, tmp_path: Path) -> Path:
    """A fresh MEDIA_ROOT for the test: the evidence photos it uploads land here."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(name="phone")
def phone_fixture(browser: Any, media_root: Path) -> Iterator[Any]:
    """A phone (``new_phone``); JavaScript errors fail the test."""
    page, errors = new_phone(browser, media_root)
    yield page
    page.context.close()
    assert not errors, f"browser errors: {errors}"


def fits_phone(page: Any) -> None:
    """The page is no wider than the phone: nothing to scroll sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"


def _restore_migration_data() -> None:
    """What the data migrations create and a flush removes: the audit chain's head row
    and the default aid types (the same rows their migrations write)."""
    import importlib

    from django.apps import apps as global_apps

    from kolaborasi.audit.models import AuditHead

    AuditHead.objects.get_or_create(pk=1)
    aid_types = importlib.import_module("kolaborasi.targets.migrations.0002_default_aid_types")
    aid_types.create(global_apps, None)


@pytest.fixture(name="demo_url")
def demo_url_fixture(live_server: Any) -> str:
    """The live server's URL with the Jakarta demo in the database. live_server tests
    are transactional and the database is flushed after each of them (and after any
    other transactional test), so the migrations' rows and the demo are put back here
    when missing — copied back from the session's snapshot (tests/demo_snapshot.py);
    when present nothing changes."""
    from kolaborasi.targets.demo import demo_load
    from kolaborasi.targets.models import Target
    from tests import demo_snapshot
    from tests.boundaries import boundaries_dir

    if Target.objects.filter(synthetic=True).exists():
        return str(live_server.url)
    if demo_snapshot.SESSION is not None:
        demo_snapshot.restore(demo_snapshot.SESSION)
    else:  # a session whose set-up did not load the demo
        _restore_migration_data()
        demo_load(boundaries_dir=boundaries_dir(), log=lambda _msg: None)
    return str(live_server.url)


def serve_media(page: Any, media_root: Path) -> None:
    """Answer the page's requests for ``/media/`` from ``media_root``: the reverse proxy
    serves evidence files in production and the app serves media only with DEBUG."""
    import mimetypes

    def media(route: Any) -> None:
        name = route.request.url.split("/media/", 1)[1]
        path = (media_root / name).resolve()
        if media_root.resolve() not in path.parents or not path.is_file():
            route.fulfill(status=404, body="")
            return
        route.fulfill(status=200, body=path.read_bytes(), content_type=mimetypes.guess_type(path.name)[0])

    page.route("**/media/**", media)


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def login_in_browser(page: Any, base_url: str, persona: Any, password: str = "") -> None:
    """Log ``persona`` in through the login form, and when the account must use a second
    factor (operators, aggregator owners) type the code its authenticator would show (an
    authenticator is set up for it first if it has none)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from kolaborasi.accounts.access import second_factor_required
    from tests.personas import PASSWORD

    user = persona.user
    device = None
    if second_factor_required(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=True
        )
    page.goto(base_url + "/akun/masuk/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", password or PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_load_state()
    if device is not None:
        page.wait_for_url("**/akun/dua-langkah/**")
        device.refresh_from_db()
        # A code is accepted once: after an earlier login in this period, use the next one.
        drift = 1 if device.last_t >= 0 else 0
        page.fill("#id_code", f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):06d}")
        page.click("form.stacked button[type=submit]")
        page.wait_for_load_state()


class Settled:
    """Waits until a page has nothing left to fetch: what ``networkidle`` means, without
    its fixed half-second of silence after the last answer (which, over every page of
    the layout test, cost minutes). The page's own requests (the map's data, the areas)
    are counted as they start and end."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.pending: set[Any] = set()
        page.on("request", lambda request: self.pending.add(request))
        page.on("requestfinished", lambda request: self.pending.discard(request))
        page.on("requestfailed", lambda request: self.pending.discard(request))

    def goto(self, url: str) -> None:
        self.page.goto(url)
        self.wait()

    def wait(self, timeout_ms: int = 20_000) -> None:
        """A frame for scripts to start their requests, then until none is in flight,
        then a frame for what they draw with the answers."""
        next_frame = "new Promise((done) => requestAnimationFrame(() => done(null)))"
        self.page.evaluate(next_frame)
        waited = 0
        while self.pending:
            still = [request.url for request in self.pending]
            assert waited < timeout_ms, f"still loading after {timeout_ms} ms: {still}"
            self.page.wait_for_timeout(25)
            waited += 25
        self.page.evaluate(next_frame)
