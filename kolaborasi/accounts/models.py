from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    # With a context: other apps translate the same words as plural headings.
    DONOR = "donor", pgettext_lazy("jenis organisasi", "Donatur")
    AGGREGATOR = "aggregator", pgettext_lazy("jenis organisasi", "Agregator")
    OPERATOR = "operator", pgettext_lazy("jenis organisasi", "Operator")
    COORDINATOR = "coordinator", pgettext_lazy("jenis organisasi", "Koordinator")


class OrgSubtype(models.TextChoices):
    INDIVIDUAL = "individual", _("Perorangan")
    COMPANY = "company", _("Perusahaan")
    COMMUNITY = "community", _("Komunitas")


# --- Who may be named in public: the one rule for pages, the API and open data ----------

# What the public reads instead of a name it may not see. Open data keeps these words as
# they are (a file reads the same in every language); pages translate them.
PRIVATE_DONOR = gettext_noop("Donatur perorangan")
UNNAMED_DONOR = gettext_noop("Donatur yang tidak ingin disebut")


def named_in_public(kind: str, subtype: str, *, chose_public: bool | None = None) -> bool:
    """Whether an organisation's name may be shown to the public for what it did.
    Organisations are named for their public acts (pledges, deliveries); a private
    person is not. Where the donor chose (a donation's "my name may be shown"), the
    choice decides, whatever the kind."""
    if chose_public is not None:
        return chose_public
    return not (kind == OrgKind.DONOR and subtype == OrgSubtype.INDIVIDUAL)


def public_name(
    name: str, kind: str, subtype: str, *, chose_public: bool | None = None, translated: bool = False
) -> str:
    """The name the public sees: the name itself, or what stands in for it."""
    if named_in_public(kind, subtype, chose_public=chose_public):
        return name
    label = PRIVATE_DONOR if subtype == OrgSubtype.INDIVIDUAL else UNNAMED_DONOR
    return gettext(label) if translated else label


class Organisation(models.Model):
    name = models.CharField(_("nama"), max_length=200)
    kind = models.CharField(pgettext_lazy("organisasi", "Jenis"), max_length=12, choices=OrgKind.choices)
    subtype = models.CharField(_("subjenis"), max_length=12, choices=OrgSubtype.choices, blank=True)
    verified = models.BooleanField(_("terverifikasi"), default=False)
    description = models.TextField(_("keterangan"), blank=True)
    # Coordinators cover regions (an RW, a kelurahan, ...); everything under them.
    regions = models.ManyToManyField(
        "regions.Region", blank=True, related_name="coordinators", verbose_name=_("wilayah")
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    # Set by an operator: the organisation cannot pledge and its undelivered holds were
    # released. Its members still log in and its tokens still read, so it can see why.
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "verified"])]
        verbose_name = _("Organisasi")
        verbose_name_plural = _("Organisasi")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", _("Pemilik")
    MEMBER = "member", _("Anggota")


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("pengguna"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisasi")
    )
    role = models.CharField(_("peran"), max_length=8, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique"),
        ]
        verbose_name = _("Keanggotaan")
        verbose_name_plural = _("Keanggotaan")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class ApiToken(models.Model):
    """A bearer token for the API, acting for one organisation. Only the SHA-256 of the
    token is stored: a leaked database does not leak usable tokens. ``prefix`` (the
    first characters of the plain token) lets people tell their tokens apart."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Every token ends: a leaked one stops working on its own (API_TOKEN_DAYS).
    expires_at = models.DateTimeField()
    # Space-separated TokenScope values, e.g. "read pledge".
    scopes = models.CharField(max_length=40, default="read")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Token API")
        verbose_name_plural = _("Token API")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.organisation})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class EmailLinkPurpose(models.TextChoices):
    VERIFY = "verify", _("Verifikasi e-mail")
    RESET = "reset", _("Atur ulang kata sandi")
    # An operator invited the address: the link sets the first password of an account
    # that has none (never the password of one that has).
    INVITE = "invite", _("Undangan")


class EmailLink(models.Model):
    """A link sent by e-mail (verification, password reset). The URL carries only a
    random token; the database keeps its SHA-256, so neither the URL nor a leaked table
    says who it is for or can be turned into a working link. Single use, with an expiry;
    ``email`` is the address it was sent to, so it stops working if the address changes."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=8, choices=EmailLinkPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose"])]
        verbose_name = _("Tautan e-mail")
        verbose_name_plural = _("Tautan e-mail")

    def __str__(self) -> str:
        return f"{self.purpose} link for {self.user_id}"


class TokenScope(models.TextChoices):
    """What an API token may do. Every token may read what its organisation may read;
    ``pledge`` adds pledge writes (create, deliver, confirm, cancel, extend), ``funds``
    adds donation and allocation-plan writes."""

    READ = "read", _("Baca")
    PLEDGE = "pledge", _("Komitmen")
    FUNDS = "funds", _("Dana")


ALL_SCOPES = " ".join(TokenScope.values)
