"""The funds' refusals: application errors (``kolaborasi.core.errors``) with the status the
API answers."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kolaborasi.core.errors import Conflict, Invalid


class FundsError(Invalid):
    """Bad input or a state that does not allow the change; nothing was changed."""


class FundsConflict(FundsError, Conflict):
    """Well formed, but the current state refuses it (the balance, the needs left in an
    area, a donation or plan already decided)."""

    status = Conflict.status


def rupiah(amount: int) -> str:
    return f"Rp{amount:,}".replace(",", ".")


class InsufficientFunds(FundsConflict):
    def __init__(self, needed: int, balance: int) -> None:
        super().__init__(
            _("Saldo tidak cukup: perlu %(needed)s, saldo %(balance)s.")
            % {"needed": rupiah(needed), "balance": rupiah(balance)},
            field="balance",
        )
        self.needed = needed
        self.balance = balance


class EarmarkedElsewhere(InsufficientFunds):
    """The balance would cover it, but part of it was given for other campaigns: only
    general money and money given for this campaign may pay for its pledges."""

    def __init__(self, needed: int, spendable: int, campaign: str) -> None:
        FundsConflict.__init__(
            self,
            _(
                "Dana yang dapat dipakai untuk program %(campaign)s tidak cukup: perlu %(needed)s, "
                "tersedia %(spendable)s (dana umum dan donasi untuk program ini). Sisa saldo "
                "lainnya adalah donasi yang ditujukan untuk program lain."
            )
            % {"campaign": campaign, "needed": rupiah(needed), "spendable": rupiah(spendable)},
            field="balance",
        )
        self.needed = needed
        self.balance = spendable
