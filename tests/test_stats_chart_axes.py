"""The cumulative chart reads at a glance whatever the data: no made-up ticks without
data, one day of pledges drawn as a step in a readable week (not a dot on an axis
stretched over years), many days over their own range, the y-axis from 0."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import translation

from kolaborasi.stats import charts
from kolaborasi.stats.selectors import Scope

DAY = dt.date(2026, 11, 27)


def _texts(svg: bytes) -> list[str]:
    return [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg.decode()) if t.strip()]


def _draw(monkeypatch: pytest.MonkeyPatch, series: dict[str, list[tuple[dt.date, int]]]) -> list[str]:
    monkeypatch.setattr(charts, "cumulative_by_day", lambda scope: series)
    monkeypatch.setattr(charts, "_names", lambda: {"sembako": "Sembako"})
    sembako = type("T", (), {"slug": "sembako", "name": "Sembako"})()
    monkeypatch.setattr(charts, "aid_types", lambda: [sembako])
    with translation.override("id"):
        return _texts(charts._cumulative_svg(Scope()))


def test_without_data_only_the_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _draw(monkeypatch, {})
    assert "Belum ada komitmen" in texts
    assert not [t for t in texts if re.fullmatch(r"[0-9.]+", t)]  # no "0 0 0 0 0 1"


def test_one_day_is_a_week_wide_and_starts_at_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _draw(monkeypatch, {"sembako": [(DAY, 800)]})
    years = {t for t in texts if re.fullmatch(r"20[0-9]{2}", t)}
    assert years == {"2026"}  # not 2025–2029
    assert "27 Nov" in texts and "Dec" not in " ".join(texts)
    numbers = [t for t in texts if re.fullmatch(r"[0-9.]+", t) and not re.fullmatch(r"20[0-9]{2}", t)]
    assert "0" in numbers and len(numbers) == len(set(numbers))  # from 0, no repeated labels


def test_the_window_rules() -> None:
    assert charts.date_window(DAY, DAY) == (DAY - dt.timedelta(days=4), DAY + dt.timedelta(days=4))
    first, last = dt.date(2020, 4, 1), dt.date(2020, 12, 31)
    start, end = charts.date_window(first, last)
    assert start < first and end > last and (end - start).days < (last - first).days * 1.2
    assert charts.value_ceiling(0) == 1 and charts.value_ceiling(800) == 880


def test_many_days_over_their_own_range(monkeypatch: pytest.MonkeyPatch) -> None:
    series = {"sembako": [(dt.date(2020, 4, 1) + dt.timedelta(days=i), 10 * (i + 1)) for i in range(200)]}
    texts = _draw(monkeypatch, series)
    labels = " ".join(texts)
    assert "Apr 2020" in labels and "2019" not in labels and "2022" not in labels
