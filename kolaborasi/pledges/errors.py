"""The pledges' refusals: each an application error (``kolaborasi.core.errors``) with the
status the API answers and the extra fields it adds (what is still possible)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kolaborasi.accounts.models import Organisation
from kolaborasi.core.errors import Conflict, Invalid
from kolaborasi.targets.models import Need

from .holds import SMALL


class PledgeError(Invalid):
    """Bad input or a state that does not allow the change; nothing was changed.
    ``field`` names the input at fault when there is one."""


class PledgeStateConflict(PledgeError, Conflict):
    """The request is well formed but the pledge's current state refuses it (cancelled,
    expired, already delivered, nothing awaiting confirmation)."""

    status = Conflict.status


class NeedExhausted(PledgeError, Conflict):
    """The quantity does not fit the need's remaining units at this moment."""

    status = Conflict.status
    field_in_detail = False

    def __init__(self, remaining: int) -> None:
        super().__init__(
            _("Jumlah melebihi sisa kebutuhan: tinggal %(remaining)s.") % {"remaining": remaining},
            field="quantity",
        )
        self.remaining = remaining

    def extra(self) -> dict[str, Any]:
        return {"remaining": self.remaining}


class HoldLimitExceeded(PledgeError, Conflict):
    """The organisation would hold more undelivered units than its trust tier allows
    (``reason`` "total": in all; "need": of this one need). ``allowed`` is what it may
    still pledge (here, for "need"); ``remaining``, when known, what the need has free."""

    status = Conflict.status
    field_in_detail = False

    def __init__(self, *, reason: str, tier: str, limit: int, held: int, share: int = 0) -> None:
        self.reason, self.tier, self.limit, self.held = reason, tier, limit, held
        self.allowed = max(0, limit - held)
        self.remaining: int | None = None
        values = {"limit": limit, "held": held, "allowed": self.allowed, "share": share}
        if reason == "need":
            message = (
                _(
                    "Satu organisasi boleh memegang paling banyak %(share)s%% dari kebutuhan ini, yaitu "
                    "%(limit)s paket yang belum tersalurkan. Organisasi Anda sudah memegang %(held)s, "
                    "jadi masih boleh berkomitmen %(allowed)s paket untuk kebutuhan ini."
                )
                % values
            )
        else:
            message = (
                _(
                    "Organisasi Anda boleh memegang paling banyak %(limit)s paket yang belum tersalurkan "
                    "dan sudah memegang %(held)s, jadi masih boleh berkomitmen %(allowed)s paket. "
                    "Catat penyaluran komitmen yang ada untuk membuka ruang."
                )
                % values
            )
            if tier == SMALL:
                message += " " + _(
                    "Donatur perorangan dan organisasi yang belum terverifikasi memiliki batas lebih kecil."
                )
        super().__init__(message, field="quantity")

    def extra(self) -> dict[str, Any]:
        answer: dict[str, Any] = {} if self.remaining is None else {"remaining": self.remaining}
        return answer | {
            "reason": "total" if self.reason == "total" else "need_share",
            "limit": self.limit,
            "allowed": self.allowed,
        }


# The API refuses other kinds before it reads the body, with the same sentence.
PLEDGERS_ONLY = gettext_lazy("Hanya donatur atau agregator yang dapat berkomitmen.")


def suspended_message(organisation: Organisation) -> str:
    return _(
        "Organisasi %(name)s sedang ditangguhkan oleh operator, sehingga tidak dapat membuat "
        "komitmen baru. Hubungi operator program untuk keterangan lebih lanjut."
    ) % {"name": organisation.name}


class PlanConflict(PledgeError, Conflict):
    """Some items of a plan no longer fit; ``conflicts`` lists (need, requested, remaining).
    ``replan``: where a fresh plan over what is left can be asked for, when there is one."""

    status = Conflict.status

    def __init__(self, conflicts: list[tuple[Need, int, int]], *, replan: str = "") -> None:
        parts = ", ".join(
            _("%(need)s: diminta %(requested)s, sisa %(remaining)s")
            % {"need": need, "requested": req, "remaining": rem}
            for need, req, rem in conflicts
        )
        super().__init__(_("Rencana tidak lagi muat: %(items)s") % {"items": parts})
        self.conflicts = conflicts
        self.replan = replan

    def extra(self) -> dict[str, Any]:
        lines = [
            {"target": need.target_id, "need": need.pk, "requested": req, "remaining": rem}
            for need, req, rem in self.conflicts
        ]
        return {"conflicts": lines, **({"replan": self.replan} if self.replan else {})}
