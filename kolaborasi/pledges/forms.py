from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from kolaborasi.targets.models import Need, Target

from .holds import default_planned_delivery, latest_planned_delivery


class NeedChoiceField(forms.ModelChoiceField):
    # Set when the target's needs on offer belong to more than one open campaign: each
    # choice then names its campaign, or two would read the same.
    name_campaigns = False

    def label_from_instance(self, obj: Any) -> str:
        values = {
            "aid_type": obj.aid_type.display_name,
            "n": intcomma(obj.remaining),
            "unit": obj.aid_type.display_unit,
        }
        if self.name_campaigns:
            return _("%(aid_type)s, %(campaign)s — sisa kebutuhan %(n)s %(unit)s") % {
                **values,
                "campaign": obj.campaign.name,
            }
        return _("%(aid_type)s — sisa kebutuhan %(n)s %(unit)s") % values


class PledgeForm(forms.Form):
    need = NeedChoiceField(queryset=Need.objects.none(), label=_("Jenis bantuan"), empty_label=None)
    quantity = forms.IntegerField(label=_("Jumlah (paket)"), min_value=1, max_value=10_000_000)
    planned_delivery = forms.DateField(
        label=_("Rencana tanggal penyaluran"),
        # ISO, the only value a date input reads (the locale's "07-12-2026" shows blank).
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    # Optional: shown only to the target's coordinator and operators, who confirm the
    # delivery and may need to reach whoever brings it; never public nor exported.
    contact_name = forms.CharField(label=_("Nama pengantar (tidak wajib)"), max_length=120, required=False)
    contact_phone = forms.CharField(
        label=_("Telepon pengantar (tidak wajib)"),
        max_length=40,
        required=False,
        help_text=_(
            "Hanya terlihat oleh koordinator wilayah sasaran dan operator yang mengonfirmasi penyaluran."
        ),
    )
    statement = forms.BooleanField(
        label=_(
            "Saya menyatakan berkomitmen menyalurkan bantuan ini sesuai jumlah dan tanggal di atas, "
            "dan akan mencatat penyalurannya beserta bukti foto."
        ),
        required=True,
        error_messages={"required": _("Centang pernyataan komitmen untuk melanjutkan.")},
    )

    def __init__(self, *args: Any, target: Target, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["need"]
        assert isinstance(field, NeedChoiceField)
        # Only needs of open campaigns: a closed one takes no pledges.
        field.queryset = (
            Need.objects.filter(target=target, aid_type__active=True, accepting=True)
            .select_related("aid_type", "campaign")
            .order_by("aid_type__sort_order", "aid_type__slug", "campaign_id")
        )
        field.name_campaigns = len(set(field.queryset.values_list("campaign_id", flat=True))) > 1
        today = timezone.localdate()
        latest = latest_planned_delivery(today)
        self.fields["planned_delivery"].widget.attrs.update(min=today.isoformat(), max=latest.isoformat())
        # A week ahead unless the person picks another day (kept when the form returns).
        self.fields["planned_delivery"].initial = default_planned_delivery(today)
        self.fields["planned_delivery"].help_text = _("Paling lambat %(date)s.") % {
            "date": formats.date_format(latest, "j F Y")
        }

    def clean_planned_delivery(self) -> dt.date:
        value: dt.date = self.cleaned_data["planned_delivery"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("Tanggal rencana penyaluran sudah lewat."))
        latest = latest_planned_delivery()
        if value > latest:
            raise forms.ValidationError(
                _(
                    "Tanggal rencana penyaluran paling lambat %(date)s, %(days)s hari dari hari ini. "
                    "Pilih tanggal yang lebih dekat."
                )
                % {"date": formats.date_format(latest, "j F Y"), "days": settings.PLEDGE_HORIZON_DAYS}
            )
        return value


class DeliveryForm(forms.Form):
    quantity = forms.IntegerField(label=_("Jumlah disalurkan"), min_value=1, max_value=10_000_000)
    delivered_on = forms.DateField(
        label=_("Tanggal penyaluran"), widget=forms.DateInput(attrs={"type": "date"})
    )
    evidence = forms.FileField(
        label=_("Foto bukti (JPEG, PNG atau WebP)"),
        required=False,
        # Any image type, so a phone offers its camera; the server still accepts only
        # JPEG, PNG and WebP (evidence_clean).
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


class ExtendForm(forms.Form):
    planned_delivery = forms.DateField(
        label=_("Tanggal rencana baru"), widget=forms.DateInput(attrs={"type": "date"})
    )


class NeedUpdateForm(forms.Form):
    size = forms.IntegerField(label=_("Jumlah KK rentan / penghuni"), min_value=0, max_value=10_000_000)
    reason = forms.CharField(label=_("Alasan perubahan"), max_length=300)


class SuspendForm(forms.Form):
    reason = forms.CharField(label=_("Alasan penangguhan"), max_length=300)


class ConfirmForm(forms.Form):
    """Confirm a delivery: leave the number out to confirm all of it."""

    quantity = forms.IntegerField(
        label=_("Jumlah yang diterima warga"),
        min_value=1,
        max_value=10_000_000,
        required=False,
        help_text=_("Kosongkan untuk mengonfirmasi semuanya."),
    )
    note = forms.CharField(
        label=_("Catatan (wajib jika lebih sedikit)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Tulis alasannya: apa yang tidak sesuai dengan penyaluran ini.")},
    )


class AnswerForm(forms.Form):
    note = forms.CharField(
        label=_("Jawaban"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = forms.FileField(
        label=_("Foto tambahan (JPEG, PNG atau WebP)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
