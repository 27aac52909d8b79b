"""The scope of the public figures: which pledges count (an area and a date range), read
and checked from the query string of the API, the pages and the exports.

An area is a region code of any level; a target belongs to it through the region codes
copied onto the target row (``Target.objects.within``). The date range is on the
pledge's ``created_at``, in inclusive days of the site's time zone (Asia/Jakarta by
default).

Every figure is of one campaign: the one named (``campaign=SLUG`` in the API,
``?program=SLUG`` on the pages), else the one ``campaigns.selectors.campaign_for_area``
picks for the area. A scope without a campaign (``campaign`` None) counts every need;
``parse_scope`` gives one only when no campaign is public yet."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kolaborasi.campaigns.models import Campaign
from kolaborasi.campaigns.selectors import campaign_for_area, public_campaign_by_slug
from kolaborasi.regions.models import DEPTH_BY_LEVEL, Level, Region, child_level, is_region_code
from kolaborasi.targets.models import REGION_COLUMN

SLUG_RE = re.compile(r"[-a-zA-Z0-9_]{1,60}")


class ScopeError(Exception):
    """Bad filter input. ``status`` is 422 (malformed) or 404 (unknown region code)."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Scope:
    """Which pledges count: those on needs of ``campaign`` on targets under ``region``
    created between ``since`` and ``until`` (inclusive days). ``by_default``: the
    campaign was not named but chosen by the default rule, so cached results are keyed
    on "the default" (``scope_key`` answers without reading the campaigns)."""

    region: Region | None = None
    since: date | None = None
    until: date | None = None
    campaign: Campaign | None = None
    by_default: bool = False

    @property
    def region_code(self) -> str | None:
        return self.region.code if self.region else None

    @property
    def campaign_slug(self) -> str | None:
        return self.campaign.slug if self.campaign else None

    def key(self) -> str:
        return f"{self.region_code or ''}|{self.since or ''}|{self.until or ''}|{_campaign_key(self)}"

    def created_range(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) in aware datetimes for the inclusive local days since..until."""
        tz = timezone.get_current_timezone()
        start = timezone.make_aware(datetime.combine(self.since, time.min), tz) if self.since else None
        end = (
            timezone.make_aware(datetime.combine(self.until + timedelta(days=1), time.min), tz)
            if self.until
            else None
        )
        return start, end

    def query_params(self, campaign_field: str = "campaign") -> dict[str, str]:
        """The scope as query parameters (the campaign only when it was named, under
        ``campaign_field``: ``campaign`` in the API, ``program`` on the pages)."""
        params = {}
        if self.region:
            params["region"] = self.region.code
        if self.since:
            params["since"] = self.since.isoformat()
        if self.until:
            params["until"] = self.until.isoformat()
        if self.campaign and not self.by_default:
            params[campaign_field] = self.campaign.slug
        return params


DEFAULT_CAMPAIGN_KEY = "*"


def _campaign_key(scope: Scope) -> str:
    if scope.by_default:
        return DEFAULT_CAMPAIGN_KEY
    return scope.campaign.slug if scope.campaign else ""


def parse_date(field: str, value: str | None) -> date | None:
    if value is None or value.strip() == "":
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ScopeError(field, _("%(value)r bukan tanggal YYYY-MM-DD") % {"value": value}) from None


def region_code(field: str, code: str | None) -> str | None:
    """The region code of the input, stripped, if it has the form of one (422 if not);
    whether such a region exists is ``get_region``'s question."""
    if code is None or code.strip() == "":
        return None
    code = code.strip()
    if not is_region_code(code):
        raise ScopeError(field, _("%(code)r bukan kode wilayah") % {"code": code})
    return code


def get_region(field: str, code: str | None) -> Region | None:
    code = region_code(field, code)
    if code is None:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ScopeError(field, _("wilayah %(code)r tidak ditemukan") % {"code": code}, 404)
    return region


def campaign_slug(field: str, slug: str | None) -> str | None:
    """The campaign slug of the input, stripped, if it has the form of one (422 if not)."""
    if slug is None or slug.strip() == "":
        return None
    slug = slug.strip()
    if not SLUG_RE.fullmatch(slug):
        raise ScopeError(field, _("%(slug)r bukan kode program") % {"slug": slug})
    return slug


def get_campaign(field: str, slug: str | None, region: Region | None) -> tuple[Campaign | None, bool]:
    """The campaign named by ``slug`` (404 if there is none that is public), else the
    default one for the area; and whether it was the default."""
    slug = campaign_slug(field, slug)
    if slug is None:
        return campaign_for_area(region.code if region else None), True
    campaign = public_campaign_by_slug(slug)
    if campaign is None:
        raise ScopeError(
            field,
            _("program %(slug)r tidak ditemukan; daftar program: /api/v1/campaigns") % {"slug": slug},
            404,
        )
    return campaign, False


def parse_dates(since: str | None, until: str | None) -> tuple[date | None, date | None]:
    since_d = parse_date("since", since)
    until_d = parse_date("until", until)
    if since_d and until_d and since_d > until_d:
        raise ScopeError(
            "since",
            _("tanggal awal %(since)s sesudah tanggal akhir %(until)s")
            % {"since": since_d, "until": until_d},
        )
    return since_d, until_d


def parse_scope(
    region: str | None = None,
    since: str | None = None,
    until: str | None = None,
    campaign: str | None = None,
    *,
    region_field: str = "region",
    campaign_field: str = "campaign",
) -> Scope:
    """Validate filter input (shared by API, pages and exports)."""
    since_d, until_d = parse_dates(since, until)
    campaign_slug(campaign_field, campaign)
    region_obj = get_region(region_field, region)
    campaign_obj, by_default = get_campaign(campaign_field, campaign, region_obj)
    return Scope(
        region=region_obj, since=since_d, until=until_d, campaign=campaign_obj, by_default=by_default
    )


def scope_key(
    region: str | None,
    since: str | None,
    until: str | None,
    campaign: str | None = None,
    *,
    region_field: str = "region",
    campaign_field: str = "campaign",
) -> str:
    """``parse_scope(...).key()`` without the database: the same validation (dates, range,
    the form of the campaign slug and of the region code) except whether the region and
    the campaign exist, so that a cached answer needs no query. Existence is checked by
    ``parse_scope`` when the figures are computed, and an unknown code or slug (404) is
    never cached. Without a slug the key says "the default campaign"."""
    since_d, until_d = parse_dates(since, until)
    slug = campaign_slug(campaign_field, campaign)
    code = region_code(region_field, region)
    return f"{code or ''}|{since_d or ''}|{until_d or ''}|{slug or DEFAULT_CAMPAIGN_KEY}"


def child_level_ok(parent: Region | None, level: str) -> bool:
    if parent is None:
        return level in (Level.CITY, Level.PROVINCE)
    return DEPTH_BY_LEVEL[Level(level)] > DEPTH_BY_LEVEL[Level(parent.level)]


def check_level(scope: Scope, level: str) -> None:
    """ScopeError unless ``level`` is a level of regions lying below the scope's region."""
    if level not in REGION_COLUMN:
        raise ScopeError("level", _("tingkat %(level)r tidak dikenal") % {"level": level})
    if not child_level_ok(scope.region, level):
        raise ScopeError(
            "level",
            _("tingkat %(level)s tidak berada di bawah %(parent)s")
            % {"level": level, "parent": scope.region_code or "-"},
        )


def regions_at(level: str, parent: Region | None) -> QuerySet[Region]:
    qs = Region.objects.filter(level=level)
    if parent is not None:
        qs = qs.below(parent)
    return qs.order_by("code")


def breakdown_level(scope: Scope) -> str | None:
    """The level one step below the scope's region used for breakdowns (kota by
    default), down to the RWs of a village; None for a single RW."""
    if scope.region is None:
        return Level.CITY
    return child_level(scope.region.level)
