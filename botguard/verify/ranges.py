"""Published address ranges: the files crawler operators publish, read once, searched in O(log n).

An address in a crawler's published ranges proves its claim without DNS: no lookup, no thread,
no wait. That makes ranges what keeps verification working when DNS is slow or flooded.
"""

from __future__ import annotations

import bisect
import json
import os
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from .._errors import ConfigError
from .address import IPAddress, IPNetwork, parse_networks

__all__ = ["RangeSet", "load_ranges_file", "normalize_ranges"]


def load_ranges_file(path: str) -> list[str]:
    """The networks in a published ranges file: Google's/Bing's JSON, or a JSON list of CIDRs.

        load_ranges_file("googlebot.json")  # ["66.249.64.0/27", ..., "2001:4860:4801:10::/64", ...]

    Google, Bing, Apple, OpenAI and DuckDuckGo publish `{"prefixes": [{"ipv4Prefix": ...},
    {"ipv6Prefix": ...}]}`; a plain `["1.2.3.0/24", ...]` is accepted too.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"crawler_ranges: cannot read {path!r}: {exc}") from None
    items = document.get("prefixes") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise ConfigError(f"crawler_ranges: {path!r} has neither a 'prefixes' list nor a list of networks")
    networks = []
    for item in items:
        if isinstance(item, dict):
            value = item.get("ipv4Prefix") or item.get("ipv6Prefix") or item.get("ip_prefix") or item.get("ipv6_prefix")
        else:
            value = item
        if not isinstance(value, str):
            raise ConfigError(f"crawler_ranges: {path!r}: not a network: {item!r}")
        networks.append(value)
    return networks


class RangeSet:
    """Networks merged into sorted intervals per family: membership is one binary search."""

    __slots__ = ("_starts", "_ends")

    def __init__(self, networks: Iterable[IPNetwork]) -> None:
        spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for net in networks:
            spans[net.version].append((int(net.network_address), int(net.broadcast_address)))
        self._starts: dict[int, list[int]] = {}
        self._ends: dict[int, list[int]] = {}
        for version, found in spans.items():
            merged: list[list[int]] = []
            for start, end in sorted(found):
                if merged and start <= merged[-1][1] + 1:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            self._starts[version] = [s for s, _ in merged]
            self._ends[version] = [e for _, e in merged]

    def __contains__(self, ip: IPAddress) -> bool:
        value = int(ip)
        index = bisect.bisect_right(self._starts[ip.version], value) - 1
        return index >= 0 and value <= self._ends[ip.version][index]

    def __bool__(self) -> bool:
        return bool(self._starts[4] or self._starts[6])


def normalize_ranges(value: Any) -> Mapping[str, tuple[str, ...]]:
    """`Config.crawler_ranges` (crawler name → a file or files) → name → the networks, read now."""
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ConfigError(f"crawler_ranges: expected a table of crawler name -> file(s), got {type(value).__name__}")
    ranges = {}
    for name, files in value.items():
        paths = (files,) if isinstance(files, (str, os.PathLike)) else files
        if not isinstance(paths, Iterable):
            raise ConfigError(f"crawler_ranges.{name}: expected a file name or a list of them, got {files!r}")
        networks: list[str] = []
        for path in paths:
            if not isinstance(path, (str, os.PathLike)):
                raise ConfigError(f"crawler_ranges.{name}: not a file name: {path!r}")
            networks.extend(load_ranges_file(os.fspath(path)))
        parse_networks(f"crawler_ranges.{name}", networks)
        ranges[name] = tuple(networks)
    return MappingProxyType(ranges)
