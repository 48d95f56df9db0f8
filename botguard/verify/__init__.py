"""Verified crawlers: which User-Agents claim to be whom, and the DNS that proves or refutes it.

A User-Agent is a claim anyone can make. The search engines publish how to check it: the reverse
name of the client's address must end in the engine's domain (`crawl-66-249-66-1.googlebot.com`),
and that name must resolve forward to the same address (forward-confirmed reverse DNS). Some
operators also publish their address ranges, which prove a claim without any DNS.

Framework-free, usable from a thread (WSGI) or a coroutine (ASGI) alike, one module per job:

- `crawlers`: the built-in table of crawlers and `Config.verified_crawlers`;
- `address`: the client's address, and the proxy headers of `Config.trusted_proxies`;
- `ranges`: published address ranges, read once and searched by bisection;
- `dns`: the `Resolver` interface, the system resolver, and the lookup threads;
- `verifier`: forward-confirmed reverse DNS per address, its cache and single flight;
- `verification`: what one config verifies, and the outcome of one claim.
"""

from __future__ import annotations

from .address import IPAddress, IPNetwork, client_ip, parse_ip, parse_networks
from .crawlers import CRAWLERS, Crawler, normalize_crawlers
from .dns import Resolver, SystemResolver
from .ranges import load_ranges_file, normalize_ranges
from .verification import Outcome, Verification
from .verifier import Lookup, Verifier

__all__ = [
    "CRAWLERS",
    "Crawler",
    "IPAddress",
    "IPNetwork",
    "Lookup",
    "Outcome",
    "Resolver",
    "SystemResolver",
    "Verification",
    "Verifier",
    "client_ip",
    "load_ranges_file",
    "normalize_crawlers",
    "normalize_ranges",
    "parse_ip",
    "parse_networks",
]
