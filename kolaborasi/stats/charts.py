"""Charts drawn on the server with matplotlib (Agg, no display) as SVG: they print well,
need no JavaScript, and obey the Content-Security-Policy (served as images from our own
URLs, with matplotlib's inline <style> removed)."""

from __future__ import annotations

import datetime as dt
import io
import math
import re

import matplotlib

matplotlib.use("Agg")

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from matplotlib.dates import AutoDateLocator, num2date
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

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
    fig.text(0.99, 0.99, _("per %(time)s") % {"time": stamp}, ha="right", va="top", fontsize=7, color="#555")
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "kolaborasi"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return _STYLE_RE.sub(b"", buffer.getvalue())


def _names() -> dict[str, str]:
    return {t.slug: t.display_name for t in aid_types()}


def cumulative_svg(scope: Scope) -> bytes:
    key = stats_key("chart-cumulative", scope.key(), _("Komitmen kumulatif"))
    return cached(key, lambda: _cumulative_svg(scope))


def _cumulative_svg(scope: Scope) -> bytes:
    series = cumulative_by_day(scope)
    names = _names()
    fig = Figure(figsize=(7.5, 3.6), dpi=100)
    ax = fig.add_subplot()
    order = [t.slug for t in aid_types()]
    window = None
    if series:
        all_days = [d for points in series.values() for d, _v in points]
        window = date_window(min(all_days), max(all_days))
    for i, slug in enumerate(order):
        points = series.get(slug)
        if not points or window is None:
            continue
        # The running total holds until the window's end: one day of pledges is a step,
        # not a dot.
        days = [window[0]] + [d for d, _v in points] + [window[1]]
        values = [0] + [v for _d, v in points] + [points[-1][1]]
        ax.step(
            days,  # type: ignore[arg-type]
            values,
            where="post",
            label=names.get(slug, slug),
            color=COLOURS[i % len(COLOURS)],
            linestyle=STYLES[i % len(STYLES)],
            linewidth=2,
        )
    ax.set_title(_("Paket berkomitmen, kumulatif per hari"), loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    if window is None:
        # Nothing to draw: no axes with made-up ticks, just the sentence.
        ax.text(0.5, 0.5, _("Belum ada komitmen"), ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.spines[["left", "bottom"]].set_visible(False)
        return _svg(fig)
    top = max(v for points in series.values() for _d, v in points)
    ax.set_xlim(*window)  # type: ignore[arg-type]
    ax.set_ylim(0, value_ceiling(top))
    ax.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=8))
    # Dates the Indonesian way ("27 Nov", "Des 2026"), in the page's language.
    short = (window[1] - window[0]).days <= 92
    ax.xaxis.set_major_formatter(
        matplotlib.ticker.FuncFormatter(
            lambda v, _p: date_format(num2date(v).date(), "j M" if short else "M Y")
        )
    )
    if short:
        years = sorted({window[0].year, window[1].year})
        ax.set_xlabel("–".join(str(y) for y in years))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.legend(loc="upper left", frameon=False)
    ax.set_ylabel(_("paket"))
    ax.grid(axis="y", color="#dddddd")
    ax.yaxis.set_major_formatter(
        matplotlib.ticker.FuncFormatter(lambda v, _p: f"{int(v):,}".replace(",", "."))
    )
    return _svg(fig)


# The cumulative chart shows at least a week, so that one day of pledges is a step in a
# readable week rather than a dot on an axis matplotlib stretches over years.
MIN_WINDOW_DAYS = 7


def date_window(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The x-axis range for data from ``first`` to ``last``: the data plus a margin,
    at least MIN_WINDOW_DAYS wide."""
    span = (last - first).days
    margin = max(1, span // 20, (MIN_WINDOW_DAYS - span + 1) // 2)
    return first - dt.timedelta(days=margin), last + dt.timedelta(days=margin)


def value_ceiling(top: int) -> int:
    """The y-axis top for a largest value ``top``: from 0, a little above it, at least 1."""
    return max(1, top + math.ceil(top / 10))


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
