"""Every kind of event the audit log records: one enumeration, named ``<thing>.<what
happened to it>`` in the past tense. ``audit_record`` refuses any other name, so a new
kind of event is added here first, with its Indonesian label for the admin.

Events written before this list existed carry older names ("pledge.create"); their hash
covers the name, so it stays as written. ``LEGACY`` maps each old name to its kind, and
``names_of`` gives every name a kind was ever written under, for the queries that look
events up by kind."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # People and their access
    USER_REGISTERED = "user.registered", _("akun didaftarkan")
    USER_VERIFIED = "user.verified", _("alamat e-mail diverifikasi")
    USER_INVITED = "user.invited", _("diundang")
    USER_INVITE_ACCEPTED = "user.invite_accepted", _("undangan diterima")
    USER_CREATED = "user.created", _("akun dibuat operator")
    USER_CHANGED = "user.changed", _("akun diubah operator")
    USER_PASSWORD_SET = "user.password_set", _("kata sandi diatur operator")
    USER_PASSWORD_RESET = "user.password_reset", _("kata sandi diatur ulang")
    USER_DEACTIVATED = "user.deactivated", _("akun dinonaktifkan")
    USER_REACTIVATED = "user.reactivated", _("akun diaktifkan kembali")
    USER_UNVERIFIED_REMOVED = "user.unverified_removed", _("akun tak terverifikasi dihapus")
    USER_ERASED = "user.erased", _("data pribadi akun dihapus")
    USER_DATA_EXPORTED = "user.data_exported", _("data pribadi akun diekspor")
    USER_SECOND_FACTOR_ENROLLED = "user.second_factor_enrolled", _("verifikasi dua langkah dipasang")
    USER_SECOND_FACTOR_ADDED = "user.second_factor_added", _("perangkat dua langkah ditambah operator")
    USER_SECOND_FACTOR_CHANGED = "user.second_factor_changed", _("perangkat dua langkah diubah operator")
    USER_SECOND_FACTOR_REMOVED = "user.second_factor_removed", _("perangkat dua langkah dihapus")
    USER_RECOVERY_CODE_USED = "user.recovery_code_used", _("kode pemulihan dipakai")
    TOKEN_CREATED = "token.created", _("token API dibuat")
    TOKEN_REVOKED = "token.revoked", _("token API dicabut")
    # Organisations
    ORGANISATION_CREATED = "organisation.created", _("organisasi dibuat")
    ORGANISATION_CHANGED = "organisation.changed", _("organisasi diubah")
    ORGANISATION_VERIFIED = "organisation.verified", _("organisasi diverifikasi")
    ORGANISATION_SUSPENDED = "organisation.suspended", _("organisasi ditangguhkan")
    ORGANISATION_UNSUSPENDED = "organisation.unsuspended", _("penangguhan organisasi dicabut")
    MEMBERSHIP_ADDED = "membership.added", _("anggota ditambahkan")
    MEMBERSHIP_CHANGED = "membership.changed", _("peran anggota diubah")
    MEMBERSHIP_REMOVED = "membership.removed", _("anggota dikeluarkan")
    # Places, needs, campaigns
    REGIONS_LOADED = "regions.loaded", _("daftar wilayah dimuat")
    REGIONS_BOUNDARIES_IMPORTED = "regions.boundaries_imported", _("batas wilayah diimpor")
    TARGETS_RW_IMPORTED = "targets.rw_imported", _("data RW diimpor")
    TARGETS_INSTITUTIONS_IMPORTED = "targets.institutions_imported", _("data lembaga diimpor")
    AID_TYPE_CREATED = "aid_type.created", _("jenis bantuan dibuat")
    AID_TYPE_CHANGED = "aid_type.changed", _("jenis bantuan diubah")
    NEED_CHANGED = "need.changed", _("kebutuhan diubah")
    CAMPAIGN_CREATED = "campaign.created", _("program dibuat")
    CAMPAIGN_NEEDS_COMPUTED = "campaign.needs_computed", _("kebutuhan program dihitung")
    CAMPAIGN_NEEDS_IMPORTED = "campaign.needs_imported", _("kebutuhan program diimpor")
    CAMPAIGN_OPENED = "campaign.opened", _("program dibuka")
    CAMPAIGN_CLOSED = "campaign.closed", _("program ditutup")
    # Pledges and deliveries
    PLEDGE_CREATED = "pledge.created", _("komitmen dibuat")
    PLEDGE_DELIVERED = "pledge.delivered", _("penyaluran dicatat pada komitmen")
    PLEDGE_CONFIRMED = "pledge.confirmed", _("penyaluran dikonfirmasi")
    PLEDGE_DISPUTED = "pledge.disputed", _("penyaluran dipersoalkan")
    PLEDGE_EXTENDED = "pledge.extended", _("tanggal rencana diubah")
    PLEDGE_CANCELLED = "pledge.cancelled", _("komitmen dibatalkan")
    PLEDGE_REMINDED = "pledge.reminded", _("pengingat kedaluwarsa dikirim")
    PLEDGE_EXPIRED = "pledge.expired", _("komitmen kedaluwarsa")
    PLEDGE_FUNDED = "pledge.funded", _("komitmen didanai")
    PLEDGE_REFUNDED = "pledge.refunded", _("dana komitmen dikembalikan")
    DELIVERY_RECORDED = "delivery.recorded", _("penyaluran dicatat")
    DELIVERY_CONFIRMED = "delivery.confirmed", _("penyaluran dikonfirmasi")
    DELIVERY_DISPUTED = "delivery.disputed", _("penyaluran dipersoalkan")
    DELIVERY_ANSWERED = "delivery.answered", _("persoalan dijawab penyalur")
    DELIVERY_EVIDENCE_REMOVED = "delivery.evidence_removed", _("foto penyaluran dihapus (masa simpan)")
    # Money
    DONATION_CREATED = "donation.created", _("donasi dicatat")
    DONATION_CONFIRMED = "donation.confirmed", _("donasi dikonfirmasi")
    DONATION_REJECTED = "donation.rejected", _("donasi ditolak")
    PACKAGE_TEMPLATE_CREATED = "package_template.created", _("templat paket dibuat")
    PACKAGE_TEMPLATE_CHANGED = "package_template.changed", _("templat paket diubah")
    ALLOCATION_PLAN_CREATED = "allocation_plan.created", _("rencana alokasi dibuat")
    ALLOCATION_PLAN_SUPERSEDED = "allocation_plan.superseded", _("rencana alokasi diganti")
    ALLOCATION_PLAN_COMMITTED = "allocation_plan.committed", _("rencana alokasi dijalankan")
    # The audit log itself
    AUDIT_KEY_ROTATED = "audit_key.rotated", _("kunci tanda tangan audit diganti")


# The names events were written under before the enumeration; kept as written.
LEGACY: dict[str, AuditAction] = {
    "pledge.create": AuditAction.PLEDGE_CREATED,
    "pledge.deliver": AuditAction.PLEDGE_DELIVERED,
    "pledge.confirm": AuditAction.PLEDGE_CONFIRMED,
    "pledge.dispute": AuditAction.PLEDGE_DISPUTED,
    "pledge.extend": AuditAction.PLEDGE_EXTENDED,
    "pledge.cancel": AuditAction.PLEDGE_CANCELLED,
    "pledge.remind": AuditAction.PLEDGE_REMINDED,
    "pledge.expire": AuditAction.PLEDGE_EXPIRED,
    "pledge.fund": AuditAction.PLEDGE_FUNDED,
    "pledge.refund": AuditAction.PLEDGE_REFUNDED,
    "delivery.create": AuditAction.DELIVERY_RECORDED,
    "delivery.confirm": AuditAction.DELIVERY_CONFIRMED,
    "delivery.dispute": AuditAction.DELIVERY_DISPUTED,
    "delivery.answer": AuditAction.DELIVERY_ANSWERED,
    "need.update": AuditAction.NEED_CHANGED,
    "donation.create": AuditAction.DONATION_CREATED,
    "donation.confirm": AuditAction.DONATION_CONFIRMED,
    "donation.reject": AuditAction.DONATION_REJECTED,
    "package_template.create": AuditAction.PACKAGE_TEMPLATE_CREATED,
    "package_template.update": AuditAction.PACKAGE_TEMPLATE_CHANGED,
    "allocation_plan.create": AuditAction.ALLOCATION_PLAN_CREATED,
    "allocation_plan.supersede": AuditAction.ALLOCATION_PLAN_SUPERSEDED,
    "allocation_plan.commit": AuditAction.ALLOCATION_PLAN_COMMITTED,
    "organisation.suspend": AuditAction.ORGANISATION_SUSPENDED,
    "organisation.unsuspend": AuditAction.ORGANISATION_UNSUSPENDED,
    "campaign.create": AuditAction.CAMPAIGN_CREATED,
    "campaign.needs": AuditAction.CAMPAIGN_NEEDS_COMPUTED,
    "campaign.open": AuditAction.CAMPAIGN_OPENED,
    "campaign.close": AuditAction.CAMPAIGN_CLOSED,
    "targets.import_rw": AuditAction.TARGETS_RW_IMPORTED,
    "targets.import_institutions": AuditAction.TARGETS_INSTITUTIONS_IMPORTED,
    "regions.load": AuditAction.REGIONS_LOADED,
    "regions.import_boundaries": AuditAction.REGIONS_BOUNDARIES_IMPORTED,
}


def action_of(name: str) -> AuditAction | None:
    """The kind of an event written under ``name`` (today's or an older name)."""
    if name in AuditAction.values:
        return AuditAction(name)
    return LEGACY.get(name)


def names_of(action: AuditAction) -> list[str]:
    """Every name events of this kind were written under: today's first."""
    return [action.value, *(old for old, kind in LEGACY.items() if kind == action)]
