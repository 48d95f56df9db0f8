"""`settings.BOTGUARD`: what it may hold, how it becomes a config, and the system check that says so.

The parsing is framework-free (a value in, a `Config` or loader out, `ConfigError` when it cannot);
only `check_settings` touches Django, and only when the check framework calls it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._cache import default_config
from ._config import Config
from ._errors import ConfigError
from ._loader import ConfigLoader
from ._types import ConfigSource

__all__ = ["SETTING", "config_from_setting", "check_settings", "file_path"]

SETTING = "BOTGUARD"
MIDDLEWARE_PATH = "botguard.django.BotGuardMiddleware"
# The keys that turn the setting into a loader, and what each loader takes besides its source.
_LOADER_KEYS = {"file": frozenset({"file", "ttl"}), "url": frozenset({"url", "ttl", "headers", "timeout", "max_bytes"})}


def config_from_setting(value: Any, base_dir: str | os.PathLike[str] | None = None) -> Config | ConfigSource:
    """The config that `settings.BOTGUARD` describes (None means the built-in defaults).

        config_from_setting({"deny": [r"(?i)scrapy"]})        # a Config
        config_from_setting({"file": "botguard.toml", "ttl": 30}, settings.BASE_DIR)  # a ConfigLoader

    Arguments:
        value: a dict of `Config` fields (the keys of a config file), a dict with `file` or `url`
            for a loader, a `Config`, or any object with `.get()` returning one.
        base_dir: where a relative `file` is (Django's `settings.BASE_DIR`); None: the working
            directory.
    """
    if value is None:
        return default_config()
    if isinstance(value, Config):
        return value
    if not isinstance(value, Mapping):
        if callable(getattr(value, "get", None)):
            source: ConfigSource = value  # a loader built in settings.py
            return source
        raise ConfigError(f"expected a dict of settings, a Config or a loader, got {type(value).__name__}")
    sources = [key for key in _LOADER_KEYS if key in value]
    if not sources:
        return Config.from_mapping(value)
    if len(sources) > 1:
        raise ConfigError("give either 'file' or 'url', not both")
    return _loader(sources[0], value, base_dir)


def file_path(value: Any, base_dir: str | os.PathLike[str] | None) -> Path | None:
    """The config file a `{"file": ...}` setting reads, relative paths resolved against `base_dir`
    (the working directory when None); None for any other setting."""
    if not isinstance(value, Mapping) or "file" not in value or not isinstance(value["file"], (str, os.PathLike)):
        return None
    path = Path(value["file"])
    if not path.is_absolute():
        path = Path(base_dir if base_dir is not None else os.getcwd()) / path
    return path


def _loader(source: str, value: Mapping[str, Any], base_dir: str | os.PathLike[str] | None) -> ConfigSource:
    extra = sorted(str(key) for key in value if key not in _LOADER_KEYS[source])
    if extra:
        raise ConfigError(
            f"with {source!r} the rules live in the {source}; unexpected key(s) {extra} "
            f"(a {source} loader takes {sorted(_LOADER_KEYS[source])})"
        )
    options = {key: value[key] for key in value if key != source}
    if source == "file":
        # Resolved once, here: the loader keeps reading the same file whatever the working
        # directory becomes.
        return ConfigLoader.from_file(file_path(value, base_dir) or value["file"], **options)
    return ConfigLoader.from_url(value["url"], **options)


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Django system check: `settings.BOTGUARD` builds a config, and the middleware is installed.

    Runs at `manage.py check`, `runserver` and `migrate`, so a bad regex or an unknown key stops
    a deploy instead of the first request.
    """
    from django.conf import settings
    from django.core.checks import Error, Warning

    messages: list[Any] = []
    configured = hasattr(settings, SETTING)
    if configured:
        value = getattr(settings, SETTING)
        base_dir = getattr(settings, "BASE_DIR", None)
        if base_dir is None and isinstance(value, Mapping) and "file" in value and not Path(str(value["file"])).is_absolute():
            messages.append(
                Warning(
                    f"settings.{SETTING}['file'] is the relative path {str(value['file'])!r} and the settings have "
                    f"no BASE_DIR, so it is read from the working directory: {file_path(value, None)}.",
                    hint="Give an absolute path, or set BASE_DIR (relative paths are read from there).",
                    obj=SETTING,
                    id="botguard.W002",
                )
            )
        try:
            config_from_setting(value, base_dir)
        except ConfigError as exc:
            messages.append(
                Error(
                    f"settings.{SETTING} is not a valid botguard configuration: {exc}",
                    hint="Fix the key or pattern named above; the keys are those of botguard.Config.",
                    obj=SETTING,
                    id="botguard.E001",
                )
            )
    middleware = list(getattr(settings, "MIDDLEWARE", None) or ())
    if configured and MIDDLEWARE_PATH not in middleware:
        messages.append(
            Warning(
                f"settings.{SETTING} is set but {MIDDLEWARE_PATH!r} is not in MIDDLEWARE, so nothing enforces it.",
                hint=f"Add {MIDDLEWARE_PATH!r} near the top of MIDDLEWARE.",
                obj=SETTING,
                id="botguard.W001",
            )
        )
    return messages
