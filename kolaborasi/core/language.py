"""One language at a time, Indonesian unless the person chose otherwise.

A phone set to English used to get the English pages, although the people kolaborasi
serves read Bahasa Indonesia and the programme speaks it. Pages now follow only the
person's own choice (the language switch, kept in a cookie for a year) and otherwise
``LANGUAGE_CODE``. API clients, which have no switch, still pick with
``Accept-Language``."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .refusal import wants_json


def chosen_language(request: HttpRequest) -> str:
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in dict(settings.LANGUAGES):
        return chosen
    if wants_json(request):
        return translation.get_language_from_request(request)
    return settings.LANGUAGE_CODE


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Django's ``LocaleMiddleware`` (its response handling included) with the browser's
    ``Accept-Language`` ignored for pages."""

    def process_request(self, request: HttpRequest) -> None:
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        response = super().process_response(request, response)
        # A page's language comes from the switch's cookie: caches must keep one copy per
        # cookie, not per Accept-Language.
        patch_vary_headers(response, ("Cookie",))
        # The language was this request's only: what the thread does next (a task, a
        # command run in-process) speaks LANGUAGE_CODE again. The body is rendered by now.
        translation.deactivate()
        return response
