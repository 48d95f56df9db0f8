"""A minimal Django project guarded by botguard's settings-based middleware.

    uvicorn examples.django_site.asgi:application --host 127.0.0.1 --port 8000
    python examples/django_site/manage.py check
"""

SCRIPTED = [r"^curl/", r"^python-requests/", r"^python-httpx/"]

SECRET_KEY = "botguard-example-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "examples.django_site.urls"
USE_TZ = True

# "botguard" runs its system check (`manage.py check`) over BOTGUARD below.
INSTALLED_APPS = ["botguard"]

MIDDLEWARE = [
    # First: a refused bot costs no session, auth or CSRF work.
    "botguard.django.BotGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
]

# The keys of a botguard config file. The built-in list stays on ("builtin": "default"); scripted
# clients are refused too, except on the views marked with @botguard.django.rules (see views.py).
BOTGUARD = {"deny": SCRIPTED}
