"""Kong 0.12.3's config cache, reproduced in Python: the deliberately broken loader the leak tests must catch.

Kong kept the plugin config serialised in shared memory and decided freshness with
`remaining = ttl - (now - stored_at)`. With `db_cache_ttl = 0` ("keep forever") that is never
positive, so every read deserialised a new, equal config object, and each new object got a new
verdict cache. botguard's `ConfigLoader` is the fix; this class is the bug, kept for the tests
and `benchmarks/leak.py` to measure against.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from botguard import Config


class KongArithmeticLoader:
    """Hands out `Config.from_mapping(json.loads(stored))`, re-deserialising whenever `remaining <= 0`.

    Arguments:
        mapping: the settings, stored serialised as Kong stored them.
        ttl: seconds; 0 was Kong's "forever" and is exactly what breaks.
        keep: how many handed-out objects to keep alive, as Kong's in-worker LRU (lua-resty-lrucache)
            kept deserialised values; 0 keeps none, so only the newest is alive.
    """

    def __init__(
        self, mapping: Mapping[str, Any], ttl: float = 0, keep: int = 0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stored = json.dumps(dict(mapping))
        self._ttl = ttl
        self._keep = keep
        self._clock = clock
        self._kept: OrderedDict[int, Config] = OrderedDict()
        self.deserialised = 0
        self._stored_at = clock()
        self._value = self._deserialise()

    def _deserialise(self) -> Config:
        self.deserialised += 1
        config = Config.from_mapping(json.loads(self._stored))
        if self._keep:
            self._kept[id(config)] = config
            while len(self._kept) > self._keep:
                self._kept.popitem(last=False)
        return config

    def get(self) -> Config:
        now = self._clock()
        remaining = self._ttl - (now - self._stored_at)
        if remaining <= 0:  # "expired" - and with ttl 0 it always is
            self._value = self._deserialise()
            self._stored_at = now
        return self._value
