"""Choosing a place by name: the region picker every form and filter uses.

People know "Kebayoran Lama", not "31.74.05". The picker is one ``<select>`` that holds
the current choice, the places above it and the places directly below it — never more
than a few dozen options, even with the national registry loaded — so choosing a kota
and sending the form (or, with htmx, just choosing) narrows it to that kota's
kecamatan, and so on down to ``deepest``. Beside it a search box finds a place by name
as one types (htmx), or on sending without JavaScript: one match is taken, several are
offered in the select to choose from.

A view reads the chosen code with :func:`region_pick` (the form field name stays what
the page always used, ``region`` or ``wilayah``; the search box is that name plus
``_cari``) and renders ``regions/picker.html`` with the result as ``pick``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, Q, QuerySet, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import DEPTH_BY_LEVEL, Level, Region

SEARCH_SUFFIX = "_cari"
SEARCH_MIN_CHARS = 2
SEARCH_LIMIT = 15
# Levels a person picks; RWs are chosen on the map and the lists, not here.
PICKABLE = (Level.PROVINCE, Level.CITY, Level.DISTRICT, Level.VILLAGE)


@dataclass(frozen=True)
class Option:
    code: str
    label: str
    selected: bool = False


@dataclass
class RegionPick:
    """What the picker shows and what the view gets: ``code`` is the chosen region's
    code ("" for everywhere); ``message`` says why a typed code or name was not taken."""

    name: str
    deepest: str = Level.VILLAGE
    region: Region | None = None
    searched: str = ""
    options: list[Option] = field(default_factory=list)
    matches: list[Region] = field(default_factory=list)
    message: str = ""
    label: str = ""
    # The select's id: the form's own (so its label points at it) or the picker's.
    select_id: str = ""
    # In a form, the form draws the label; the picker then draws none of its own.
    bare: bool = False

    @property
    def code(self) -> str:
        return self.region.code if self.region is not None else ""

    @property
    def search_name(self) -> str:
        return self.name + SEARCH_SUFFIX

    @property
    def control_id(self) -> str:
        return self.select_id or f"f-{self.name}"

    @property
    def refusal(self) -> str:
        """Why a typed name or code gave no place ("" when it did, or nothing was typed)."""
        if self.message:
            return self.message
        if self.matches:
            return _("Beberapa wilayah cocok dengan “%(name)s”: pilih satu di daftar.") % {
                "name": self.searched
            }
        return ""


def describe(region: Region) -> str:
    """ "Kec. Kebayoran Lama, Kota Adm. Jakarta Selatan": the place and the one above it,
    enough to tell apart places with the same name."""
    own = f"{_level_word(region.level)} {region.name}".strip()
    parent = region.parent
    if parent is not None and parent.level != Level.PROVINCE:
        return f"{own}, {parent.name}"
    return own


def region_pick(
    params: Mapping[str, str],
    *,
    name: str,
    deepest: str = Level.VILLAGE,
    label: str = "",
) -> RegionPick:
    """The choice ``params`` (a request's GET or POST) holds under ``name``: a code, or
    a name typed into the search box."""
    pick = RegionPick(name=name, deepest=deepest, label=label or _("Wilayah"))
    code = (params.get(name) or "").strip()
    searched = (params.get(name + SEARCH_SUFFIX) or "").strip()[:80]
    if len(searched) < SEARCH_MIN_CHARS:
        searched = ""  # one letter is still being typed: the select's choice stands
    pick.searched = searched
    # A name typed into the search box wins over the select: the box is emptied once a
    # place is taken, so what it holds is always the person's latest wish.
    if searched:
        pick.matches = region_search(searched, deepest=deepest)
        exact = [r for r in pick.matches if r.name.casefold() == searched.casefold()]
        if len(exact) == 1:
            pick.matches = exact
        if len(pick.matches) == 1:
            pick.region, pick.matches = pick.matches[0], []
        elif not pick.matches:
            pick.message = _(
                "Tidak ada wilayah bernama “%(name)s”. Periksa ejaannya atau pilih dari daftar."
            ) % {"name": searched}
    elif code:
        pick.region = Region.objects.select_related("parent").filter(code=code).first()
        if pick.region is None:
            pick.message = _(
                "Wilayah dengan kode %(code)s tidak ada. Pilih dari daftar atau cari namanya."
            ) % {"code": code[:24]}
    pick.options = _options(pick, deepest)
    return pick


def region_search(text: str, *, deepest: str = Level.VILLAGE) -> list[Region]:
    """Places whose name contains ``text`` (or whose code starts with it): a place of
    exactly that name first, then larger places before smaller, at most SEARCH_LIMIT
    (ranked by the database, so no match is lost to an arbitrary cut)."""
    text = text.strip()
    if len(text) < SEARCH_MIN_CHARS:
        return []
    levels = [lvl for lvl in PICKABLE if DEPTH_BY_LEVEL[lvl] <= DEPTH_BY_LEVEL[Level(deepest)]]
    depth = Case(*(When(level=lvl, then=Value(DEPTH_BY_LEVEL[lvl])) for lvl in levels))
    exact = Case(When(name__iexact=text, then=Value(0)), default=Value(1))
    found = (
        Region.objects.filter(level__in=levels)
        .filter(Q(name__icontains=text) | Q(code__startswith=text))
        .annotate(exact=exact, depth=depth)
        .order_by("exact", "depth", "name", "code")
        .select_related("parent")
    )
    return list(found[:SEARCH_LIMIT])


def _options(pick: RegionPick, deepest: str) -> list[Option]:
    """Everywhere, the places above the choice, the choice, and the places below it (or
    the search's matches to choose from)."""
    options = [Option("", _("Semua wilayah"), selected=pick.region is None and not pick.matches)]
    if pick.matches:
        options[0] = Option("", _("— Pilih salah satu dari %(n)s wilayah —") % {"n": len(pick.matches)}, True)
        return options + [Option(r.code, describe(r)) for r in pick.matches]
    region = pick.region
    if region is not None:
        above = Region.objects.filter(code__in=region.ancestor_codes()).order_by("code")
        options += [Option(r.code, _indent(r) + describe_short(r)) for r in above]
        options.append(Option(region.code, _indent(region) + describe_short(region), selected=True))
    if region is None or DEPTH_BY_LEVEL[Level(region.level)] < DEPTH_BY_LEVEL[Level(deepest)]:
        below = Region.objects.filter(parent=region) if region is not None else _tops()
        options += [Option(r.code, _indent(r) + describe_short(r)) for r in below.order_by("name")]
    return options


def _tops() -> QuerySet[Region]:
    """The first places to choose from: the provinces, or — with one province loaded,
    as in a city's own install — its cities."""
    provinces = Region.objects.filter(parent__isnull=True)
    if provinces.count() == 1:
        return Region.objects.filter(parent=provinces.get())
    return provinces


def describe_short(region: Region) -> str:
    return f"{_level_word(region.level)} {region.name}".strip()


def _indent(region: Region) -> str:
    # Non-breaking spaces: a select shows the tree's depth without extra markup.
    return "\u00a0\u00a0" * max(0, DEPTH_BY_LEVEL[Level(region.level)] - 1)


def _level_word(level: str) -> str:
    words = {
        Level.PROVINCE: _("Prov."),
        Level.CITY: "",
        Level.DISTRICT: _("Kec."),
        Level.VILLAGE: _("Kel."),
    }
    return str(words.get(Level(level), ""))


class RegionPickerWidget(forms.Widget):
    """The picker as a form widget: its value is what was sent (the select's code and
    the search box's text), resolved by :class:`RegionField`."""

    template_name = "regions/picker_widget.html"

    def __init__(self, attrs: dict[str, Any] | None = None, *, deepest: str = Level.VILLAGE) -> None:
        super().__init__(attrs)
        self.deepest = deepest

    def value_from_datadict(self, data: Any, files: Any, name: str) -> dict[str, str]:
        return {name: data.get(name, ""), name + SEARCH_SUFFIX: data.get(name + SEARCH_SUFFIX, "")}

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and name + SEARCH_SUFFIX not in data

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        if isinstance(value, dict):
            params = value
        elif isinstance(value, Region):
            params = {name: value.code}
        else:
            params = {name: str(value or "")}
        pick = region_pick(params, name=name, deepest=self.deepest)
        pick.select_id = context["widget"]["attrs"].get("id", "")
        pick.bare = True
        context["pick"] = pick
        return context


class RegionField(forms.Field):
    """A region chosen with the picker (a code from the select, or a typed name that
    names one place); cleans to the :class:`Region`."""

    widget = RegionPickerWidget

    def __init__(self, *, deepest: str = Level.VILLAGE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.widget.deepest = deepest  # type: ignore[attr-defined]
        self.deepest = deepest

    def clean(self, value: Any) -> Region | None:
        params = value if isinstance(value, dict) else {"region": str(value or "")}
        name = next(iter(params), "region")
        pick = region_pick(params, name=name, deepest=self.deepest)
        if pick.refusal:
            raise ValidationError(pick.refusal, code="unknown" if pick.message else "ambiguous")
        if pick.region is None:
            if self.required:
                raise ValidationError(_("Pilih wilayah di daftar, atau ketik namanya."), code="required")
            return None
        return pick.region


class AreaTicks(forms.Form):
    """A form's list of places added one by one with the picker: the ticked boxes
    ``area`` (untick to drop one). Without JavaScript the page sends the picked place
    back with the boxes, so the boxes are whatever codes came back; the service that
    acts on them checks each code."""

    area = forms.MultipleChoiceField(
        label=gettext_lazy("Wilayah terpilih"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Hapus centang untuk membuang wilayah."),
    )

    # The fields of the "add this area" step: the boxes, the picker and whatever else a
    # form reads places from. Its ``clean`` puts every code they name in ``codes``.
    area_fields: tuple[str, ...] = ("area", "wilayah")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sent = self.data.getlist("area") if hasattr(self.data, "getlist") else []
        area_field: Any = self.fields["area"]
        area_field.choices = [(code, code) for code in sent]

    def area_added(self, **options: Any) -> Self:
        """The page's "add this area" step: the form again (made with ``options``, the
        form's own), with the places it names ticked and the picker emptied. Nothing
        else is acted on, so only the area fields' problems are kept."""
        self.is_valid()
        form = self
        if not any(name in self.errors for name in self.area_fields):
            data: Any = self.data.copy()  # type: ignore[attr-defined]
            data.setlist("area", self.cleaned_data["codes"])
            for name in self.area_fields[1:]:
                data.pop(name, None)
                data.pop(name + SEARCH_SUFFIX, None)
            form = type(self)(data, **options)
            form.is_valid()
        for name in [name for name in form.errors if name not in self.area_fields]:
            del form.errors[name]
        return form

    def area_choices(self, regions: Mapping[str, Region]) -> None:
        """Label the ticked boxes with the places' names."""
        field: Any = self.fields["area"]
        field.choices = [
            (code, describe(regions[code]) if code in regions else code) for code, _label in field.choices
        ]
