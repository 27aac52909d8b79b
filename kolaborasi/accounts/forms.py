"""Forms for accounts: they parse and validate; writes happen in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kolaborasi.core.text import DESCRIPTION_MAX_LENGTH, formula_refusal

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
