import re

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve

from kolaborasi.api import api

# Errors render in the site's layout and language (see kolaborasi/core/error_pages.py).
handler400 = "kolaborasi.core.error_pages.bad_request"
handler403 = "kolaborasi.core.error_pages.permission_denied"
handler404 = "kolaborasi.core.error_pages.page_not_found"
handler500 = "kolaborasi.core.error_pages.server_error"

admin.site.site_header = "kolaborasi — operator"
admin.site.site_title = "kolaborasi"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("kolaborasi.core.urls")),
    path("", include("kolaborasi.targets.urls")),
    path("akun/", include("kolaborasi.accounts.urls")),
    path("komitmen/", include("kolaborasi.pledges.urls")),
    path("dana/", include("kolaborasi.funds.urls")),
    path("data/", include("kolaborasi.stats.urls")),
    path("wilayah/", include("kolaborasi.regions.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
if settings.SERVE_MEDIA:
    # Evidence photos; a web server in front may serve MEDIA_ROOT itself (SERVE_MEDIA=0).
    # Django's static() helper serves nothing with DEBUG off, so the route is spelt out.
    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
