from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditHead(models.Model):
    """The single row that serialises appends to the chain: whoever holds its row lock
    writes the next link, so two concurrent writers can never fork the chain."""

    seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # The hash before last_hash: lets PostgreSQL advance the head and hand back both
    # ends of the new link in one UPDATE (kolaborasi.audit.services.audit_record).
    prev_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_singleton")]

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class AuditEvent(models.Model):
    """Append-only record of one state change. ``hash`` = SHA-256 of the previous
    event's hash, this event's ``seq`` and the digest of all its other fields
    (``audit.services.link_hash``), so editing or deleting any row breaks the chain."""

    seq = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField()
    # Plain ids, not foreign keys: the link hash covers them, so nothing done to the
    # user or organisation row later (a delete that would SET_NULL a foreign key, say)
    # may rewrite them. People and organisations are deactivated, never deleted.
    actor_id = models.IntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(max_length=150)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # How the content digest is computed (``audit.services.content_digest``). 1: every
    # field as written, personal data included (events written before commitments). 2:
    # personal data (``audit.personal``) only as keyed commitments, the version digested
    # too. Covered by the digest from 2 on.
    digest_version = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("Peristiwa audit")
        verbose_name_plural = _("Peristiwa audit")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditSignedHead(models.Model):
    """The chain's head (``seq`` and ``hash``) at a moment (``at``, whole seconds, UTC),
    signed with the Ed25519 key kept outside the database
    (``kolaborasi.audit.signing``). Whoever saved one can later prove that the chain
    still contains it: a chain re-hashed after an edit, or cut short, no longer does.
    Append-only like the events (``kolaborasi.audit.guard``)."""

    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    at = models.DateTimeField()
    # Base64 of the 64-byte signature of ``signing.head_message(seq, hash, at)``.
    signature = models.CharField(max_length=88)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["seq"])]
        constraints = [models.CheckConstraint(condition=models.Q(seq__gte=0), name="audit_signed_head_seq")]
        verbose_name = _("Kepala rantai bertanda tangan")
        verbose_name_plural = _("Kepala rantai bertanda tangan")

    def __str__(self) -> str:
        return f"signed head #{self.seq} at {self.at:%Y-%m-%dT%H:%M:%SZ}"


class AuditPersonKey(models.Model):
    """The random key that one person's (one subject's) personal data is committed with
    in the audit chain (``audit.personal``). Not part of the chain and deletable: once it
    is deleted, with the person's ``AuditPersonalValue`` rows, the commitments in the
    chain no longer tell anyone anything, and every link still verifies."""

    # "user:<id>" for an account, "<app.model>:<id>" for another object that names a
    # person (an individual donor's organisation). Not unique: two transactions that
    # make a person's first key at once each keep their own (a unique index would make
    # the second wait for the first while the first may wait for the chain's head,
    # which the second could hold). Each commitment is valid under the key it used.
    subject = models.CharField(max_length=80, db_index=True)
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Kunci data pribadi audit")
        verbose_name_plural = _("Kunci data pribadi audit")

    def __str__(self) -> str:
        return self.subject


class AuditPersonalValue(models.Model):
    """A personal value an audit event commits to, beside the append-only events: what
    the operator screens show in place of the commitment. Deleted when the person is
    erased (``audit.personal.personal_erase``); the chain keeps only the commitment."""

    # Indexed, not unique, for the same reason as ``AuditPersonKey.subject``: a value
    # is written once, unless two first uses of it run at once.
    commitment = models.CharField(max_length=80, db_index=True)
    subject = models.CharField(max_length=80, db_index=True)
    value = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Data pribadi audit")
        verbose_name_plural = _("Data pribadi audit")

    def __str__(self) -> str:
        return f"{self.subject} {self.commitment[:20]}…"
