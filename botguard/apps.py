"""Django's entry for botguard: `INSTALLED_APPS = [..., "botguard"]` runs its system check.

Django imports this module only when "botguard" is in INSTALLED_APPS; nothing else does.
"""

from __future__ import annotations

from django.apps import AppConfig


class BotGuardAppConfig(AppConfig):  # type: ignore[misc]
    """Registers botguard's check of `settings.BOTGUARD` (run by `manage.py check`)."""

    name = "botguard"
    label = "botguard"
    verbose_name = "botguard"

    def ready(self) -> None:
        from django.core import checks

        from ._django_checks import check_settings

        checks.register(check_settings, checks.Tags.security)
