"""The admin names things in the reader's language: Indonesian by default, English when
chosen — the apps and the models of targets, pledges and funds included (the admin
index once read "Targets", "Needs" beside Indonesian text)."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.utils import translation
from django.utils.text import camel_case_to_spaces

pytestmark = pytest.mark.django_db

APPS = ("targets", "pledges", "funds")


def _index_names(html: str) -> list[str]:
    """The app captions and model names listed on the admin index."""
    return [
        re.sub(r"<[^>]+>", "", m).strip()
        for m in re.findall(r"<(?:caption|th)[^>]*>(.*?)</(?:caption|th)>", html, re.S)
    ]


def test_admin_index_in_indonesian(admin_client):
    names = _index_names(admin_client.get("/admin/").content.decode())
    for expected in ("Sasaran dan kebutuhan", "Sasaran", "Kebutuhan", "Jenis bantuan"):
        assert expected in names, names
    for english in ("Targets", "Needs", "Aid types", "Targets and needs"):
        assert english not in names, names


def test_admin_index_in_english(admin_client):
    admin_client.cookies["django_language"] = "en"
    names = _index_names(admin_client.get("/admin/").content.decode())
    for expected in ("Targets and needs", "Targets", "Needs"):
        assert expected in names, names
    assert "Sasaran" not in names and "Kebutuhan" not in names


@pytest.mark.parametrize("app", APPS)
def test_every_model_has_its_names_in_both_languages(app):
    """Models not in the admin still name themselves in its pages (a related object
    listed when something is protected, the history): none keeps the English default."""
    config = apps.get_app_config(app)
    for model in config.get_models():
        default = camel_case_to_spaces(model.__name__)
        with translation.override("id"):
            indonesian = (str(model._meta.verbose_name), str(model._meta.verbose_name_plural))
            app_id = str(config.verbose_name)
        with translation.override("en"):
            english = (str(model._meta.verbose_name), str(model._meta.verbose_name_plural))
            app_en = str(config.verbose_name)
        assert indonesian[0] != default and indonesian[1] != default + "s", model
        assert english[0] != indonesian[0] and english[1] not in (indonesian[1], english[0]), model
        assert app_id != app_en, app
