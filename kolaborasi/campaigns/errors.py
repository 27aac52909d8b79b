"""The refusals of campaigns, in the application's error hierarchy (core.errors)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kolaborasi.core.errors import Conflict, Invalid


class CampaignInputError(Invalid):
    """A campaign's name, area, aid types or dates are not acceptable; nothing changed."""


class CampaignClosed(Conflict):
    """The campaign no longer (or not yet) takes pledges and deliveries."""

    def __init__(self, name: str, slug: str, status: str) -> None:
        self.slug = slug
        if status == "draft":
            message = _("Program %(name)s belum dibuka; komitmen dan penyaluran belum dapat dicatat.") % {
                "name": name
            }
        else:
            message = _(
                "Program %(name)s sudah ditutup; komitmen dan penyaluran baru tidak diterima lagi. "
                "Pilih program lain yang masih berjalan."
            ) % {"name": name}
        super().__init__(message, field="campaign")

    def extra(self) -> dict[str, Any]:
        return {"campaign": self.slug}


class CampaignFrozen(Conflict):
    """A closed campaign's figures are frozen: its pledges can no longer be cancelled or
    extended (nor do they expire or get released by a suspension), and its deliveries are no
    longer confirmed, disputed or answered (``review``)."""

    def __init__(self, name: str, slug: str, *, review: bool = False) -> None:
        self.slug = slug
        if review:
            message = _(
                "Program %(name)s sudah ditutup dan angkanya dibekukan: penyalurannya tidak dapat "
                "dikonfirmasi, dipersoalkan, atau dijawab lagi. Hubungi operator bila ada yang perlu "
                "dikoreksi."
            ) % {"name": name}
        else:
            message = _(
                "Program %(name)s sudah ditutup dan angkanya dibekukan: komitmen di dalamnya tidak "
                "dapat dibatalkan atau diperpanjang lagi. Hubungi operator bila ada yang perlu "
                "dikoreksi."
            ) % {"name": name}
        super().__init__(message, field="campaign")

    def extra(self) -> dict[str, Any]:
        return {"campaign": self.slug}


class CampaignChoiceNeeded(Invalid):
    """Several open campaigns could be meant: the caller must name one. ``choices``: their
    slugs (the API's answer lists them)."""

    def __init__(self, choices: list[tuple[str, str]], *, field: str = "campaign") -> None:
        self.choices = [slug for slug, _name in choices]
        listed = ", ".join(f"{slug} ({name})" for slug, name in choices)
        super().__init__(
            _("Lebih dari satu program berjalan; sebutkan salah satunya: %(choices)s.") % {"choices": listed},
            field=field,
        )

    def extra(self) -> dict[str, Any]:
        return {"choices": self.choices}
