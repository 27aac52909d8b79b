import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kolaborasi.settings")
application = get_wsgi_application()

# Import the URLconf (and with it every view module, matplotlib for the charts among
# them) now instead of on each worker's first request: under `gunicorn --preload` the
# workers fork from a master that has it all, so none spends seconds of its first
# requests importing while visitors wait.
get_resolver().url_patterns  # noqa: B018 (evaluated for its side effect)
