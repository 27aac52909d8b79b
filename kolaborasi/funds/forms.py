"""Web forms for funds. They parse and check shapes; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.campaigns.models import Campaign
from kolaborasi.campaigns.selectors import campaign_by_slug, open_campaigns_public
from kolaborasi.core.money import RupiahField
from kolaborasi.core.text import CONTENTS_MAX_LENGTH, formula_refusal
from kolaborasi.regions.models import Level
from kolaborasi.regions.picker import RegionField
from kolaborasi.targets.models import AidType

from .models import DONATION_MAX, UNIT_COST_MAX, Channel, Kinds, PackageTemplate


class DonationForm(forms.Form):
    aggregator = forms.ModelChoiceField(
        label=_("Agregator"),
        queryset=Organisation.objects.filter(kind=OrgKind.AGGREGATOR, verified=True).order_by("name"),
    )
    amount = RupiahField(
        label=_("Jumlah (rupiah)"),
        max_value=DONATION_MAX,
        help_text=_("Misalnya 50.000.000. Maksimal Rp100.000.000.000."),
    )
    donated_on = forms.DateField(label=_("Tanggal donasi"), widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(label=_("Cara pembayaran"), choices=Channel.choices)
    reference = forms.CharField(label=_("Nomor referensi"), max_length=120, required=False)
    public = forms.BooleanField(label=_("Nama saya boleh ditampilkan di profil agregator"), required=False)
    # A slug, checked by the service (donation_campaign), so a campaign closed after the
    # page was opened is refused with its reason rather than as an unknown choice.
    campaign = forms.CharField(
        label=_("Program"),
        required=False,
        max_length=60,
        help_text=_(
            "Peruntukan dana: program yang sedang berjalan (dana hanya dipakai untuk program itu), atau umum."
        ),
        widget=forms.Select(),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices: list[tuple[str, Any]] = [("", _("Umum (tanpa program)"))]
        choices += [(c.slug, c.name) for c in open_campaigns_public()]
        self.fields["campaign"].widget.choices = choices  # type: ignore[attr-defined]


class TemplateForm(forms.Form):
    aid_type = forms.ModelChoiceField(label=_("Jenis bantuan"), queryset=AidType.objects.filter(active=True))
    name = forms.CharField(label=_("Nama paket"), max_length=120)
    contents = forms.CharField(
        label=_("Isi paket"), widget=forms.Textarea(attrs={"rows": 3}), max_length=CONTENTS_MAX_LENGTH
    )

    def clean_name(self) -> str:
        # The rule lives in the service (template_save); checked here for the message.
        name: str = self.cleaned_data["name"].strip()
        if problem := formula_refusal(name):
            raise forms.ValidationError(problem, code="formula")
        return name

    unit_cost = RupiahField(label=_("Harga per paket (rupiah)"), max_value=UNIT_COST_MAX)


class PlanForm(forms.Form):
    aid_type = forms.ModelChoiceField(label=_("Jenis bantuan"), queryset=AidType.objects.filter(active=True))
    region = RegionField(label=_("Wilayah"), deepest=Level.VILLAGE)
    quantity = forms.IntegerField(label=_("Jumlah paket (stok sendiri)"), min_value=1, required=False)
    budget = RupiahField(label=_("atau anggaran (rupiah, dari saldo)"), required=False)
    template = forms.ModelChoiceField(
        label=_("Paket"), queryset=PackageTemplate.objects.none(), required=False
    )
    min_drop = forms.IntegerField(label=_("Minimal paket per sasaran"), min_value=1, initial=1)
    kinds = forms.ChoiceField(label=_("Sasaran"), choices=Kinds.choices, initial=Kinds.BOTH)
    # The campaign whose needs the plan splits over, by its slug: a choice only when
    # several campaigns are open (the service refuses a closed one with its reason).
    campaign = forms.CharField(label=_("Program"), required=False, max_length=60, widget=forms.HiddenInput())

    def __init__(self, *args: object, aggregator: Organisation | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if aggregator is not None:
            self.fields["template"].queryset = PackageTemplate.objects.filter(aggregator=aggregator)  # type: ignore[attr-defined]
        running = open_campaigns_public()
        if len(running) > 1:
            choices: list[tuple[str, Any]] = [("", _("Pilih program"))]
            choices += [(c.slug, c.name) for c in running]
            self.fields["campaign"].widget = forms.Select(choices=choices)
            self.fields["campaign"].help_text = _("Rencana hanya membagi ke kebutuhan satu program.")

    def clean_campaign(self) -> Campaign | None:
        slug = (self.cleaned_data.get("campaign") or "").strip()
        if not slug:
            return None
        campaign = campaign_by_slug(slug)
        if campaign is None:
            raise forms.ValidationError(_("Program %(slug)s tidak ada.") % {"slug": slug}, code="unknown")
        return campaign


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Alasan"), max_length=300, required=False)
