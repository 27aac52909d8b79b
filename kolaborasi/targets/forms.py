"""Forms of the operators' campaign pages: they parse; the rules live in the services
(``targets.campaigns.campaign_start``), whose refusals the view puts next to the field."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from kolaborasi.campaigns.services import NAME_MAX
from kolaborasi.core.text import DESCRIPTION_MAX_LENGTH
from kolaborasi.regions.picker import AreaTicks, RegionField

from .models import AidType

# A needs file bigger than this goes through the command line (`campaign create --needs`).
NEEDS_UPLOAD_MAX = 10 * 1024 * 1024
# Region codes typed into the codes box: separated by commas, semicolons or spaces.
CODE_SEPARATORS = re.compile(r"[\s,;]+")


class NeedSource:
    """Where a new campaign's needs come from."""

    COUNTS = "counts"
    CSV = "csv"


class CampaignForm(AreaTicks):
    """A new campaign. Regions are chosen with the place picker and come back as ticked
    boxes (``area``), as on the invitation page, so a page without JavaScript can collect
    several; codes may also be typed (``kode``)."""

    area_fields = ("area", "wilayah", "kode")

    name = forms.CharField(
        label=_("Nama program"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": NAME_MAX, "autocomplete": "off"}),
        help_text=_("Mis. “Tanggap Banjir Jakarta Timur 2027”."),
    )
    description = forms.CharField(
        label=_("Keterangan"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    start = forms.DateField(
        label=_("Mulai"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Tulis tanggal sebagai YYYY-MM-DD.")},
    )
    end = forms.DateField(
        label=_("Selesai (boleh kosong)"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Tulis tanggal sebagai YYYY-MM-DD.")},
    )
    wilayah = RegionField(label=_("Pilih wilayah (kota, kecamatan, kelurahan)"), required=False)
    kode = forms.CharField(
        label=_("Atau ketik kode wilayah"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "decimal"}),
        help_text=_(
            "Mis. “31.75” untuk satu kota atau “31.74.05 31.74.06”; pisahkan dengan spasi atau koma."
        ),
    )
    aid_types = forms.MultipleChoiceField(
        label=_("Jenis bantuan"), required=False, widget=forms.CheckboxSelectMultiple
    )
    source = forms.ChoiceField(
        label=_("Kebutuhan program"),
        choices=[
            (
                NeedSource.COUNTS,
                _("Hitung dari data terbaru: satu unit per KK rentan (RW) atau per penghuni (lembaga)"),
            ),
            (NeedSource.CSV, _("Impor berkas CSV kebutuhan")),
        ],
        initial=NeedSource.COUNTS,
        widget=forms.RadioSelect,
    )
    needs = forms.FileField(
        label=_("Berkas CSV kebutuhan"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=_(
            "Kolom: target (id sasaran atau kode RW), aid_type (kode jenis bantuan), quantity (jumlah). "
            "Satu baris saja yang salah membuat seluruh berkas ditolak dan tidak ada program yang dibuat."
        ),
    )

    def __init__(self, *args: Any, aid_types: list[AidType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        aid_field: Any = self.fields["aid_types"]
        aid_field.choices = [(a.slug, f"{a.display_name} ({a.display_unit})") for a in aid_types]

    def clean_kode(self) -> list[str]:
        raw: str = self.cleaned_data.get("kode") or ""
        return [code for code in CODE_SEPARATORS.split(raw) if code]

    def clean_needs(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("needs")
        if upload is not None and (upload.size or 0) > NEEDS_UPLOAD_MAX:
            raise forms.ValidationError(
                _(
                    "Berkas lebih dari %(mb)s MB. Impor berkas sebesar ini lewat baris perintah: "
                    "kolaborasi campaign create … --needs BERKAS.csv"
                )
                % {"mb": NEEDS_UPLOAD_MAX // (1024 * 1024)}
            )
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        codes = list(data.get("area") or [])
        region = data.get("wilayah")
        if region is not None:
            codes.append(region.code)
        codes += data.get("kode") or []
        data["codes"] = list(dict.fromkeys(codes))
        source, upload = data.get("source"), data.get("needs")
        if source == NeedSource.CSV and upload is None and "needs" not in self.errors:
            self.add_error("needs", _("Pilih berkas CSV kebutuhan, atau pilih “Hitung dari data terbaru”."))
        if source == NeedSource.COUNTS and upload is not None:
            self.add_error(
                "needs",
                _(
                    "Kebutuhan dihitung dari data terbaru, jadi berkas ini tidak dipakai: kosongkan "
                    "pilihan berkasnya, atau pilih “Impor berkas CSV kebutuhan”."
                ),
            )
        return data
