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
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("Sudah ada akun dengan e-mail ini. Masuk, atau atur ulang kata sandi."), code="duplicate"
            )
        return email


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


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Nama token"), max_length=100, required=False)
