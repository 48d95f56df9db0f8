"""botguard: keep unwanted bots out of ASGI, WSGI and Django apps.

    from botguard import BotGuardMiddleware
    app.add_middleware(BotGuardMiddleware)

The public API is `__all__` below; modules whose names start with `_` are private.
"""

from __future__ import annotations

import importlib as _importlib
import importlib.metadata as _metadata
from typing import Any as _Any

from ._asgi import BotGuardMiddleware
from ._cache import CacheInfo, cache_info, classify, explain
from ._config import Config, Explanation
from ._errors import ConfigError
from ._observe import stats
from ._loader import ConfigLoader
from ._rulesets import Rule
from ._verdict import Verdict
from .verify import CRAWLERS, Crawler, Resolver
from ._wsgi import BotGuardWSGIMiddleware

__all__ = [
    "BotGuardMiddleware",
    "BotGuardWSGIMiddleware",
    "CRAWLERS",
    "CacheInfo",
    "Config",
    "ConfigError",
    "Crawler",
    "ConfigLoader",
    "Explanation",
    "Resolver",
    "Rule",
    "Verdict",
    "cache_info",
    "classify",
    "explain",
    "stats",
]

def _installed_version() -> str:
    # One source for the version: the package metadata that pyproject.toml writes at install.
    try:
        return _metadata.version("botguard")
    except _metadata.PackageNotFoundError:  # imported from a checkout that was never installed
        return "0+unknown"


__version__ = _installed_version()

# Reprs, tracebacks and docs show the name users import (`botguard.Config`), not the private
# module it is defined in. Objects without a module of their own (CRAWLERS, a dict) are left alone.
for _name in __all__:
    _public = globals()[_name]
    if callable(_public):  # classes and functions
        _public.__module__ = __name__
del _name, _public


def __getattr__(name: str) -> _Any:
    # `botguard.prometheus.register()` after a plain `import botguard`: the submodule (and
    # prometheus_client) is imported on first use, never by `import botguard` itself.
    if name == "prometheus":
        return _importlib.import_module(".prometheus", __name__)
    raise AttributeError(f"module 'botguard' has no attribute {name!r}")
