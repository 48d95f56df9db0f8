"""ASGI entry point: `uvicorn examples.django_site.asgi:application`.

botguard runs as the first entry of MIDDLEWARE (settings.py), configured by settings.BOTGUARD.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_site.settings")

application = get_asgi_application()
