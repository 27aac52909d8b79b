"""One language per page, checked in the browser: the words of the other language that
must never show on a page of this one.

A page in Indonesian must not show "Submit" or "Page 2 of 5" (an untranslated Django
string, a message raised in English, a month formatted the English way); a page in
English must not show "Simpan" or "Desember". What is matched is the text a person
sees — the page's title, its rendered text (folded menus unfolded, hidden parts
excluded, the options of a select included), the placeholders and the labels of input buttons —
as whole words, after the proper names the page may legitimately carry (places,
organisations, targets, campaigns, user names, the site's authority, what people typed) are taken
out: "Yayasan Agus Peduli" is a name in both languages, and "KSBB" is the programme's."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# English words that an Indonesian page never shows. Words both languages use ("Data",
# "Status", "Total", "Target", "Donor", "Email", "Token", "Filter", "Menu") are not here.
ENGLISH = (
    "Submit", "Cancel", "Delete", "Save", "Search", "Login", "Log in", "Logout", "Log out",
    "Sign in", "Sign up", "Register", "Password", "Username", "Select", "Choose", "Required",
    "This field", "Forbidden", "Not Found", "Page", "Next", "Previous", "Back", "Home",
    "Close", "Show", "Hide", "Loading", "Error", "Warning", "Success", "Welcome", "Help",
    "Settings", "Account", "Organisation", "Organization", "Donation", "Pledge", "Pledges",
    "Delivery", "Deliveries", "Region", "Week", "Weekly", "Report", "Download", "Upload",
    "Add", "Edit", "Update", "Confirm", "Confirmed", "Reject", "Approve", "Approved",
    "Continue", "Name", "Address", "Phone", "Amount", "Quantity", "Date", "Today",
    "Yesterday", "Tomorrow", "Dashboard", "Everywhere", "All", "None", "Yes",
    "January", "February", "March", "June", "July", "August", "October", "December",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "the", "and", "of", "with", "your", "you", "is", "are", "not", "this", "from",
)  # fmt: skip

# Indonesian words that an English page never shows.
INDONESIAN = (
    "Simpan", "Batal", "Batalkan", "Cari", "Masuk", "Keluar", "Kata sandi", "Sandi", "Wajib",
    "Berikutnya", "Sebelumnya", "Halaman", "Kirim", "Hapus", "Pilih", "Semua", "Ubah",
    "Tambah", "Lanjut", "Lanjutkan", "Kembali", "Tutup", "Unduh", "Unggah", "Tampilkan",
    "Terapkan", "Sasaran", "Komitmen", "Penyaluran", "Bantuan", "Donasi", "Donatur",
    "Wilayah", "Organisasi", "Akun", "Beranda", "Peta", "Jumlah", "Tanggal", "Nama",
    "Alamat", "Laporan", "Kesalahan", "Konfirmasi", "Tidak", "Ya", "Belum", "Sudah", "Anda",
    "dan", "yang", "untuk", "dengan", "atau", "dari", "ini", "itu", "di", "ke", "pada",
    "Januari", "Februari", "Maret", "Mei", "Juni", "Juli", "Agustus", "Oktober", "Desember",
    "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu",
)  # fmt: skip

DENIED = {"id": ENGLISH, "en": INDONESIAN}

# The programme's own names, the same in every language.
ALWAYS_NAMES = ("KSBB", "Kolaborasi Sosial Berskala Besar", "Bahasa Indonesia", "English")

# Folded parts (the phone's menu, a <details>) are read unfolded — a tap shows them — and
# folded again, so the page is left as it was.
VISIBLE_TEXT = """() => {
  const folded = [...document.querySelectorAll('details:not([open])')];
  folded.forEach((d) => { d.open = true; });
  const parts = [document.title, document.body.innerText];
  folded.forEach((d) => { d.open = false; });
  const shown = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
    if (shown(el)) parts.push(el.placeholder);
  }
  for (const el of document.querySelectorAll('input[type=submit], input[type=button], input[type=reset]')) {
    if (shown(el)) parts.push(el.value);
  }
  return parts.join('\\n');
}"""


def _pattern(words: Iterable[str]) -> re.Pattern[str]:
    # Whole words, case as listed for capitalised UI words; the small function words
    # ("the", "dan") match in any case. A hyphen joins words ("lokal-id", "e-mail"), so it
    # counts as part of one, unlike \b.
    alternatives = [
        f"(?i:{re.escape(w)})" if w.islower() else re.escape(w) for w in sorted(words, key=len, reverse=True)
    ]
    return re.compile(r"(?<![\w-])(" + "|".join(alternatives) + r")(?![\w-])")


_PATTERNS = {language: _pattern(words) for language, words in DENIED.items()}


def proper_names() -> list[str]:
    """Names the pages may show in any language: the database's places, targets,
    organisations, users and what people typed into the demo and the tests, longest
    first (so that "Kebayoran Lama" goes before "Lama")."""
    from django.contrib.auth import get_user_model

    from kolaborasi.accounts.models import Organisation
    from kolaborasi.campaigns.models import Campaign
    from kolaborasi.core.models import SiteAuthority
    from kolaborasi.funds.models import PackageTemplate
    from kolaborasi.pledges.models import Delivery, DisputeAnswer
    from kolaborasi.regions.models import Region
    from kolaborasi.targets.models import Target

    names: set[str] = set(ALWAYS_NAMES)
    names.update(Region.objects.values_list("name", flat=True))
    names.update(Target.objects.values_list("name", flat=True))
    # A campaign's name is the operator's ("Bantuan Sosial Jakarta", "Tanggap Banjir").
    names.update(Campaign.objects.values_list("name", flat=True))
    for name, description in Organisation.objects.values_list("name", "description"):
        names.update((name, description))
    names.update(get_user_model().objects.values_list("username", flat=True))
    for name, contents in PackageTemplate.objects.values_list("name", "contents"):
        names.update((name, contents))
    for row in SiteAuthority.objects.values_list("name", "unit", "contact", "hotline"):
        names.update(row)
    # What the receiving side and the donor wrote about a delivery: shown as typed.
    for note, reason in Delivery.objects.values_list("confirm_note", "dispute_reason"):
        names.update((note, reason))
    names.update(DisputeAnswer.objects.values_list("note", flat=True))
    return sorted((n for n in names if n and len(n) > 1), key=len, reverse=True)


def visible_text(page: Any) -> str:
    return str(page.evaluate(VISIBLE_TEXT))


def denied_words(text: str, language: str, names: Iterable[str] = ()) -> list[str]:
    """The other language's words in ``text`` (a page in ``language``), with a little
    of the text around each so the string at fault can be found."""
    # Whole names only: the user name "dina" is not taken out of "Koordinator".
    present = [name for name in names if name in text]
    if present:
        whole = "|".join(re.escape(name) for name in present)
        text = re.sub(rf"(?<![\w-])(?:{whole})(?![\w-])", " ", text)
    found = []
    for match in _PATTERNS[language].finditer(text):
        around = text[max(0, match.start() - 30) : match.end() + 30].replace("\n", " ⏎ ")
        found.append(f"{match.group(1)!r} in “…{around.strip()}…”")
    return found


def check_page(page: Any, label: str, language: str, names: Iterable[str] = ()) -> list[str]:
    """Problems of the page open in ``page``: one line per word of the other language."""
    return [f"{label}: {hit}" for hit in denied_words(visible_text(page), language, names)]
