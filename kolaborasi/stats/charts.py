"""Charts drawn on the server with matplotlib (Agg, no display) as SVG: they print well,
need no JavaScript, and obey the Content-Security-Policy (served as images from our own
URLs, with matplotlib's inline <style> removed)."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

from django.utils import timezone
from django.utils.translation import gettext as _
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from kolaborasi.core.freshness import cached

from .figures import aid_types, cumulative_by_day
from .scope import Scope, breakdown_level
from .selectors import by_region, stats_key

# Distinguishable in colour and in grey-scale print (different line styles too).
COLOURS = ["#1f6f5c", "#b4321e", "#3b5b92", "#c88a12", "#6b4e9b", "#555555"]
STYLES = ["-", "--", ":", "-."]
_STYLE_RE = re.compile(rb"<style[^>]*>.*?</style>", re.DOTALL)


def _svg(fig: Figure) -> bytes:
    # Every number says as of when: the moment the rows behind the chart were read.
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
    fig.text(
        0.99, 0.005, _("per %(time)s") % {"time": stamp}, ha="right", va="bottom", fontsize=7, color="#555"
    )
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "kolaborasi"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return _STYLE_RE.sub(b"", buffer.getvalue())


def _names() -> dict[str, str]:
    return {t.slug: t.name for t in aid_types()}


def cumulative_svg(scope: Scope) -> bytes:
    key = stats_key("chart-cumulative", scope.key(), _("Komitmen kumulatif"))
    return cached(key, lambda: _cumulative_svg(scope))


def _cumulative_svg(scope: Scope) -> bytes:
    series = cumulative_by_day(scope)
    names = _names()
    fig = Figure(figsize=(7.5, 3.6), dpi=100)
    ax = fig.add_subplot()
    order = [t.slug for t in aid_types()]
    for i, slug in enumerate(order):
        points = series.get(slug)
        if not points:
            continue
        days = [d for d, _v in points]
        values = [v for _d, v in points]
        ax.step(
            days,  # type: ignore[arg-type]
            values,
            where="post",
            label=names.get(slug, slug),
            color=COLOURS[i % len(COLOURS)],
            linestyle=STYLES[i % len(STYLES)],
            linewidth=2,
        )
    if not series:
        ax.text(0.5, 0.5, _("Belum ada komitmen"), ha="center", va="center", transform=ax.transAxes)
    else:
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.legend(loc="upper left", frameon=False)
    ax.set_title(_("Paket berkomitmen, kumulatif per hari"), loc="left")
    ax.set_ylabel(_("paket"))
    ax.grid(axis="y", color="#dddddd")
    ax.spines[["top", "right"]].set_visible(False)
    ax.yaxis.set_major_formatter(
        matplotlib.ticker.FuncFormatter(lambda v, _p: f"{int(v):,}".replace(",", "."))
    )
    return _svg(fig)


def breakdown_svg(scope: Scope) -> bytes:
    level = breakdown_level(scope)
    key = stats_key("chart-breakdown", level or "", scope.key(), _("Komitmen kumulatif"))
    return cached(key, lambda: _breakdown_svg(scope, level))


def _breakdown_svg(scope: Scope, level: str | None) -> bytes:
    rows = by_region(scope, level) if level else []
    names = _names()
    slugs = [t.slug for t in aid_types()]
    height = max(2.0, 0.38 * len(rows) + 1.2)
    fig = Figure(figsize=(7.5, min(height, 30)), dpi=100)
    ax = fig.add_subplot()
    labels = [r["name"] for r in rows][::-1]
    left = [0] * len(rows)
    for i, slug in enumerate(slugs):
        values = [r["figures"]["pledged"].get(slug, 0) for r in rows][::-1]
        if not any(values):
            continue
        ax.barh(
            labels,
            values,
            left=left,
            label=names.get(slug, slug),
            color=COLOURS[i % len(COLOURS)],
            hatch=["", "//", "..", "xx"][i % 4],
            edgecolor="white",
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    title = {
        "city": _("Paket berkomitmen per kota/kabupaten"),
        "district": _("Paket berkomitmen per kecamatan"),
        "village": _("Paket berkomitmen per kelurahan/desa"),
        "rw": _("Paket berkomitmen per RW"),
    }.get(level or "", "")
    ax.set_title(title, loc="left")
    if any(left):
        ax.legend(loc="lower right", frameon=False)
    else:
        ax.text(0.5, 0.5, _("Belum ada komitmen"), ha="center", va="center", transform=ax.transAxes)
    ax.spines[["top", "right"]].set_visible(False)
    ax.xaxis.set_major_formatter(
        matplotlib.ticker.FuncFormatter(lambda v, _p: f"{int(v):,}".replace(",", "."))
    )
    return _svg(fig)
