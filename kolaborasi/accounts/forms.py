"""Forms for accounts: they parse and validate; writes happen in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kolaborasi.core.text import DESCRIPTION_MAX_LENGTH, formula_refusal
from kolaborasi.regions.models import Level
from kolaborasi.regions.picker import AreaTicks, RegionField

from .models import OrgKind, OrgSubtype, Role


class RegisterForm(UserCreationForm):
    email = forms.EmailField(
        label=_("E-mail"),
        help_text=_("Kami mengirim tautan verifikasi ke alamat ini."),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")
        labels = {"username": _("Nama pengguna")}

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip()
        return email

    # Whether a username or an address is taken is never said here: the service decides
    # (a free variant of the username, or a notice to the address's owner) and the page
    # looks the same either way.
    def clean_username(self) -> str:
        username: str = self.cleaned_data.get("username") or ""
        return username

    def validate_unique(self) -> None:
        return None


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Nama pengguna atau kata sandi salah. Jika baru mendaftar, buka dulu tautan verifikasi "
            "yang kami kirim ke e-mail Anda."
        ),
    }


class ResendVerificationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Kode"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
        help_text=_("Enam angka dari aplikasi autentikator, atau salah satu kode pemulihan Anda."),
    )


class SecondFactorEnrolForm(forms.Form):
    code = forms.CharField(
        label=_("Kode dari aplikasi"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )


_KIND_CHOICES = [
    (OrgKind.DONOR.value, OrgKind.DONOR.label),
    (OrgKind.AGGREGATOR.value, OrgKind.AGGREGATOR.label),
]


class OrganisationForm(forms.Form):
    """Self-service organisations: donors and aggregators. Operators and coordinators
    are created by operators (admin or `kolaborasi org create`)."""

    name = forms.CharField(label=_("Nama organisasi"), max_length=200)
    kind = forms.ChoiceField(
        label=pgettext_lazy("organisasi", "Jenis"), choices=_KIND_CHOICES, widget=forms.RadioSelect
    )
    subtype = forms.ChoiceField(
        label=_("Subjenis donatur"),
        choices=[("", "—"), *OrgSubtype.choices],
        required=False,
        help_text=_("Wajib untuk donatur: perorangan, perusahaan, atau komunitas."),
    )
    description = forms.CharField(
        label=_("Keterangan"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
    )

    def clean_name(self) -> str:
        # The rule lives in the service (organisation_create); checked here too so the
        # message stands next to the field before anything else is checked.
        name: str = self.cleaned_data["name"].strip()
        if problem := formula_refusal(name):
            raise forms.ValidationError(problem, code="formula")
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, subtype = data.get("kind"), data.get("subtype")
        if kind == OrgKind.DONOR and not subtype:
            self.add_error("subtype", _("Pilih subjenis donatur: perorangan, perusahaan, atau komunitas."))
        if kind == OrgKind.AGGREGATOR and subtype:
            self.add_error("subtype", _("Subjenis hanya untuk donatur; kosongkan untuk agregator."))
        return data


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail akun yang sudah terdaftar"))
    role = forms.ChoiceField(label=_("Peran"), choices=Role.choices, initial=Role.MEMBER)


TOKEN_SCOPE_CHOICES = [
    ("read", _("Baca saja")),
    ("read pledge", _("Baca dan kelola komitmen")),
    ("read funds", _("Baca dan kelola dana (donasi, rencana alokasi)")),
    ("read pledge funds", _("Semua: komitmen dan dana")),
]


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Nama token"), max_length=100, required=False)
    scopes = forms.ChoiceField(
        label=_("Cakupan"),
        choices=TOKEN_SCOPE_CHOICES,
        initial="read",
        required=False,  # none chosen: read only
        widget=forms.RadioSelect,
        help_text=_("Beri token hanya yang dibutuhkan aplikasinya."),
    )


class InviteKind(models.TextChoices):
    COORDINATOR = "coordinator", _("Koordinator wilayah (Ketua RW, lurah)")
    OPERATOR = "operator", _("Operator program")


class InviteForm(AreaTicks):
    """An operator invites a coordinator for one or more areas, or another operator.
    Areas are chosen with the place picker; already chosen ones come back as ticked
    boxes (``area``), so a page without JavaScript can collect several."""

    area_fields = ("area", "wilayah", "rw")

    email = forms.EmailField(label=_("E-mail orang yang diundang"), max_length=254)
    kind = forms.ChoiceField(
        label=_("Diundang sebagai"),
        choices=InviteKind.choices,
        initial=InviteKind.COORDINATOR,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label=_("Nama organisasi koordinator"),
        max_length=200,
        required=False,
        help_text=_("Mis. “RW 005 Cipulir”. Kosongkan untuk nama dari wilayahnya."),
    )
    wilayah = RegionField(label=_("Wilayah (kelurahan, kecamatan, …)"), required=False)
    rw = forms.CharField(
        label=_("Nomor RW di kelurahan itu"),
        max_length=200,
        required=False,
        help_text=_("Untuk Ketua RW: mis. “5” atau “1, 2, 7”. Kosongkan untuk seluruh wilayah."),
    )
    operator_org = forms.ChoiceField(label=_("Organisasi operator"), required=False)

    def __init__(self, *args: Any, operator_orgs: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        operator_field: Any = self.fields["operator_org"]
        operator_field.choices = [(str(o.pk), o.name) for o in operator_orgs]
        if len(operator_orgs) < 2:
            self.fields["operator_org"].widget = forms.HiddenInput()
            if operator_orgs:
                self.fields["operator_org"].initial = str(operator_orgs[0].pk)

    def clean_rw(self) -> list[int]:
        raw: str = self.cleaned_data.get("rw") or ""
        numbers: list[int] = []
        for part in raw.replace(";", ",").replace(" ", ",").split(","):
            part = part.strip().upper().removeprefix("RW").strip()
            if not part:
                continue
            if not part.isdigit() or not 1 <= int(part) <= 999:
                raise forms.ValidationError(
                    _("“%(part)s” bukan nomor RW; tulis angka 1–999, dipisah koma.") % {"part": part[:10]}
                )
            numbers.append(int(part))
        return list(dict.fromkeys(numbers))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        region = data.get("wilayah")
        numbers = data.get("rw") or []
        codes = list(data.get("area") or [])
        if numbers:
            if region is None or region.level != Level.VILLAGE:
                self.add_error("rw", _("Nomor RW hanya bersama satu kelurahan: pilih kelurahannya dulu."))
            else:
                codes += [f"{region.code}.{n:03d}" for n in numbers]
        elif region is not None:
            codes.append(region.code)
        data["codes"] = list(dict.fromkeys(codes))
        if data.get("kind") == InviteKind.OPERATOR and not data.get("operator_org"):
            self.add_error(
                "operator_org",
                _("Anda belum tergabung dalam organisasi operator; buat dulu lewat baris perintah."),
            )
        return data
