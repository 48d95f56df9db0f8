"""`Config`: one immutable, validated, compiled botguard configuration."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Final

from ._errors import ConfigError, unknown_names
from ._forged import BrowserClaim
from ._long_ua import RuleNames, rule_names
from ._patterns import MAX_UA_CHARS, PatternList
from ._responses import BlockResponse, block_response, grpc_block_response
from ._rulesets import BUILTIN_NAMES, CATEGORIES, Rule, RuleSet, builtin_ruleset
from ._verdict import Verdict
from .verify import IPNetwork, Resolver, Verification, normalize_crawlers, normalize_ranges, parse_networks

__all__ = ["Config", "Explanation", "POLICY_RULES"]

# Kong's names for the two lists: a Kong plugin config migrates as it is.
_ALIASES = {"whitelist": "allow", "blacklist": "deny"}
_POLICIES = {
    "missing_ua": ("allow", "block"),
    "empty_ua": ("allow", "block"),
    "duplicate_ua": ("reject", "first"),
    "long_ua": ("judge", "block"),
}
# The rules a policy decision reports, so `explain` can say why a request was refused.
POLICY_RULES = {
    "missing_ua": Rule(pattern="<no User-Agent header>", index=0, source="missing_ua"),
    "empty_ua": Rule(pattern="<empty User-Agent>", index=0, source="empty_ua"),
    "long_ua": Rule(pattern=f"<User-Agent over {MAX_UA_CHARS:,} characters>", index=0, source="long_ua"),
}
_DEFAULT_BODY = '{"message": "Forbidden"}'
_PROXY_HEADERS = ("x-forwarded-for", "forwarded")
# Fields that hold code, not settings: never read from files.
_CODE_ONLY = frozenset({"on_block", "resolver"})


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a User-Agent got its verdict: which list decided and which of its rules matched.

        print(explain("curl/8.4.0"))
        # BOT: builtin[12] '^curl/|^curl$|...' (botguard, library)

    `rule_list` is "allow", "deny", "builtin", "policy" (missing or empty User-Agent),
    "allow_categories" when a built-in rule matched but its category is admitted (verdict NONE),
    or "headers" for FORGED (then `reason` says which header contradicts the User-Agent); None
    when nothing decided. The default list weighs its rules, so one may match and not decide:
    `explain()` then names it in `outweighed`, with why.

        print(explain("Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"))
        # NONE: no rule decided; builtin[1320] 'Overcast\\/' (crawler-user-agents, feed) matched,
        # people's media software speaks for it
    """

    verdict: Verdict
    rule_list: str | None
    rule: Rule | None
    # A pattern search ran out of time (it counted as no match).
    timed_out: bool = False
    # The crawler (a name in `Config.verify`) the User-Agent claims to be: its verdict then
    # depends on the client's address, SPOOFED until a request proves it.
    crawler: str | None = None
    # With `Config.check_headers`: the mainstream browser an otherwise unmatched User-Agent
    # claims to be, whose other headers each request is checked against.
    browser: BrowserClaim | None = None
    # FORGED only: which header is missing or inconsistent, e.g. "claims Chrome 131 but sends no
    # Accept-Language".
    reason: str | None = None
    # A search ran out of time while the decision was waiting (for the GIL, for a core) rather
    # than working: the verdict may differ next time, so it is not cached.
    uncertain: bool = False
    # NONE, nothing decided: a rule of the built-in default list that matched but did not decide,
    # and why (the evidence against it weighed more, or people's media software speaks for the
    # string). `explain()` fills it; the verdict cache does not look for it.
    outweighed: tuple[Rule, str] | None = None

    @property
    def category(self) -> str | None:
        """The category of the deciding built-in rule ("search", "ai", "library", ...), else None."""
        return None if self.rule is None else self.rule.category

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready view: verdict name, list, and the rule's pattern, index, source and category
        (and, for FORGED, `reason`: which header contradicts the User-Agent; where a built-in rule
        matched and did not decide, `outweighed`: that rule and why)."""
        rule = self.rule
        view: dict[str, object] = {
            "verdict": self.verdict.name,
            "blocked": self.verdict.blocked,
            "list": self.rule_list,
            "pattern": None if rule is None else rule.pattern,
            "index": None if rule is None else rule.index,
            "source": None if rule is None else rule.source,
            "category": None if rule is None else rule.category,
        }
        if self.reason is not None:
            view["reason"] = self.reason
        if self.outweighed is not None:
            weighed, why = self.outweighed
            view["outweighed"] = {
                "pattern": weighed.pattern, "index": weighed.index, "source": weighed.source,
                "category": weighed.category, "why": why,
            }
        return view

    def __str__(self) -> str:
        if self.reason is not None:
            return f"{self.verdict.name}: {self.reason}"
        if self.crawler is not None:
            state = "verified" if self.verdict is Verdict.ALLOW else "unverified"
            return f"{self.verdict.name}: claims to be {self.crawler} ({state}; verify[{self.rule.index if self.rule else 0}])"
        rule = self.rule
        if rule is None:
            if self.outweighed is None:
                return f"{self.verdict.name}: no rule matched"
            weighed, why = self.outweighed
            return f"{self.verdict.name}: no rule decided; {_named(weighed, 'builtin')} matched, {why}"
        where = "builtin" if self.rule_list == "allow_categories" else self.rule_list
        text = f"{self.verdict.name}: {_named(rule, where)}"
        if self.rule_list == "allow_categories":
            text += ", admitted by allow_categories"
        return text

    # Last in the class body, so that no annotation above reads `list` as this property.
    @property
    def list(self) -> str | None:
        """Deprecated alias of `rule_list` (read-only), kept so existing code keeps working."""
        return self.rule_list


def _named(rule: Rule, where: str | None) -> str:
    """A rule as explanations name it: `builtin[12] '^curl/' (botguard, library)`."""
    origin = rule.source if rule.category is None else f"{rule.source}, {rule.category}"
    return f"{where}[{rule.index}] {rule.pattern!r} ({origin})"


@dataclass(frozen=True, eq=False, kw_only=True)
class Config:
    """An immutable botguard configuration, validated and compiled when it is built.

        config = Config(allow=[r"(?i)uptime-kuma"], deny=[r"(?i)scrapy"], builtin="default")

    Arguments:
        allow: regexes that admit a User-Agent before anything else is checked.
        deny: regexes that refuse a User-Agent (verdict DENY).
        builtin: the built-in bot list, "default", "kong", or None for none (verdict BOT).
        allow_categories: categories of built-in rules to admit ("search", "seo", "ai", "library",
            "monitor", "preview", "scanner", "feed", "archive", "other"): a User-Agent whose
            deciding built-in rule has one of them gets NONE instead of BOT. `allow` and `deny`
            still apply first.
        cache_size: verdicts kept per config (an LRU keyed by the raw header).
        match_timeout: seconds one `allow`/`deny` search may take before it counts as no match.
        match_budget: seconds all the `allow`/`deny`/crawler-claim searches of one decision may
            take together (default 0.1); the patterns left when it is spent count as no match.
        monitor: decide and report, but never block.
        missing_ua, empty_ua: "allow" (Kong's behaviour) or "block".
        duplicate_ua: "reject" (400, Kong's behaviour) or "first" (judge the first header).
        long_ua: a User-Agent over 1,024 characters: "judge" (default) its first 1,024 characters
            with the rules, and all of it for the built-in list's names and crawler claims; or
            "block" it (DENY).
        block_status, block_body, block_content_type, retry_after: the answer to a blocked request.
        verdict_header: a response header that tells clients their verdict; None (default) sends none.
        on_block: a callable `(request, verdict) -> (status, headers, body)` for full control of the
            answer; `request` is the ASGI scope or the WSGI environ. Code only, not from files.
        verify: names of well-known crawlers ("google", "bing", ...) whose User-Agent claims must be
            proven by the client's address (forward-confirmed reverse DNS or published ranges); a
            proven claim gets ALLOW, an unproven one SPOOFED.
        verified_crawlers: your own crawlers (or replacements of built-in ones) by name, each a
            `Crawler` or a table with `user_agents`, `domains` and/or `ranges`.
        crawler_ranges: crawler name -> a published ranges file (or a list of them), read when
            the config is built, never at request time.
        trusted_proxies: networks of your own proxies; only a request from one of them has its
            client address read from `forwarded_header`. Empty (default): the header is ignored.
        forwarded_header: "x-forwarded-for" (default: that header, or RFC 7239's `Forwarded` from
            a trusted proxy that sent no `X-Forwarded-For`) or "forwarded" (`Forwarded` alone).
        verify_timeout: seconds a request waits for DNS (default 1.0); past it the claim is refused.
        verified_ttl, refuted_ttl, failed_ttl: seconds a lookup result is cached per address.
        verify_cache_size: addresses whose lookups are cached (confirmed ones apart from the
            others, each up to this many, so a flood of fake claims never evicts a real crawler).
        verify_max_waiting: threads that may wait for DNS at once under WSGI (default 1, 0 for
            never); a claim past it is refused at once with `Retry-After` while its lookup runs
            on, so browsers never queue behind claims. Under ASGI waiting holds no thread.
        resolver: the DNS resolver (an object with `reverse(ip)` and `forward(name)`); None means
            the system's. Code only, not from files.
        check_headers: refuse (FORGED) a request whose User-Agent claims a mainstream browser
            (Chrome, Edge, Opera, Firefox, Safari, Samsung Internet) when its other headers
            contradict the claim: no `Accept-Language`, no `Sec-Fetch-*` to a secure origin, a
            `Sec-CH-UA` of another version. Judged per request, after the User-Agent's verdict.

    The lists (`allow`, `deny`, `allow_categories`, `verify`, `trusted_proxies`) take any sequence
    of strings, a list or a tuple; the config keeps them as tuples.

    Configs compare by identity (`eq=False`): each has its own verdict cache, so two equal configs
    built separately are two caches. Build a config once, or let a `ConfigLoader` keep it stable.
    """

    allow: Sequence[str] = ()
    deny: Sequence[str] = ()
    builtin: str | None = "default"
    allow_categories: Sequence[str] = ()
    cache_size: int = 10_000
    match_timeout: float = 0.05
    match_budget: float = 0.1
    monitor: bool = False
    missing_ua: str = "allow"
    empty_ua: str = "allow"
    duplicate_ua: str = "reject"
    long_ua: str = "judge"
    block_status: int = 403
    block_body: str = _DEFAULT_BODY
    block_content_type: str = "application/json"
    retry_after: int | None = None
    verdict_header: str | None = None
    on_block: Callable[[Any, Verdict], tuple[int, Iterable[tuple[str, str]], bytes | str]] | None = None
    verify: Sequence[str] = ()
    verified_crawlers: Mapping[str, Any] | None = None
    crawler_ranges: Mapping[str, Any] | None = None
    trusted_proxies: Sequence[str] = ()
    forwarded_header: str = "x-forwarded-for"
    verify_timeout: float = 1.0
    verified_ttl: float = 86_400.0
    refuted_ttl: float = 3_600.0
    failed_ttl: float = 60.0
    verify_cache_size: int = 10_000
    verify_max_waiting: int = 1
    resolver: Resolver | None = None
    check_headers: bool = False

    _allow: PatternList = field(init=False, repr=False)
    _deny: PatternList = field(init=False, repr=False)
    _builtin: RuleSet | None = field(init=False, repr=False)
    _allowed: frozenset[str] = field(init=False, repr=False)
    _block_response: BlockResponse = field(init=False, repr=False)
    _grpc_block_response: BlockResponse = field(init=False, repr=False)
    _verdict_header: bytes | None = field(init=False, repr=False)
    _verification: Verification | None = field(init=False, repr=False)
    # crawler name -> (the explanation of an unproven claim, of a proven one), built once.
    _claim_answers: dict[str, tuple[Explanation, Explanation]] = field(init=False, repr=False)
    _trusted_proxies: tuple[IPNetwork, ...] = field(init=False, repr=False)
    _proxy_header: bytes = field(init=False, repr=False)
    # The built-in list's plain names, found anywhere in an over-long User-Agent.
    _names: RuleNames | None = field(init=False, repr=False)
    # The built-in list's "a person's, for certain" for a raw header value (`RuleSet.passes`,
    # with the keys in `_passed`), where nothing of the user's could speak first: no allow, deny
    # or verify list, no header check. Else None.
    _passes: Callable[[bytes], re.Match[bytes] | None] | None = field(init=False, repr=False)
    _passed: set[tuple[bytes, bytes, bool]] = field(init=False, repr=False)

    def __new__(cls, *args: Any, **kwargs: Any) -> Config:
        # A misspelt field (`Config(denny=[...])`) is a ConfigError naming the field meant, as the
        # middlewares' keywords are, rather than the dataclass's bare TypeError.
        check_field_names(kwargs)
        return super().__new__(cls)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name in ("allow", "deny"):
            set_(self, name, _pattern_tuple(name, getattr(self, name)))
        if self.builtin is not None and self.builtin not in BUILTIN_NAMES:
            raise ConfigError(f"builtin: unknown rule set {self.builtin!r}; choose one of {list(BUILTIN_NAMES)} or None")
        set_(self, "allow_categories", _category_tuple(self.allow_categories))
        _check_int("cache_size", self.cache_size, low=1)
        if isinstance(self.match_timeout, bool) or not isinstance(self.match_timeout, (int, float)) or not (
            0 < self.match_timeout <= 10
        ):
            raise ConfigError(f"match_timeout: expected seconds in (0, 10], got {self.match_timeout!r}")
        _check_seconds("match_budget", self.match_budget, low=0.0, high=60.0, open_low=True)
        if not isinstance(self.monitor, bool):
            raise ConfigError(f"monitor: expected true or false, got {self.monitor!r}")
        if not isinstance(self.check_headers, bool):
            raise ConfigError(f"check_headers: expected true or false, got {self.check_headers!r}")
        for name, choices in _POLICIES.items():
            if getattr(self, name) not in choices:
                raise ConfigError(f"{name}: expected one of {list(choices)}, got {getattr(self, name)!r}")
        _check_int("block_status", self.block_status, low=400, high=599)
        if self.retry_after is not None:
            _check_int("retry_after", self.retry_after, low=0)
        for name in ("block_body", "block_content_type"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(f"{name}: expected a string, got {getattr(self, name)!r}")
        _check_header_value("block_content_type", self.block_content_type)
        if self.verdict_header is not None:
            _check_header_name("verdict_header", self.verdict_header)
        if self.on_block is not None and not callable(self.on_block):
            raise ConfigError(f"on_block: expected a callable, got {self.on_block!r}")
        self._check_verification()

        set_(self, "_allow", PatternList("allow", self.allow, self.match_timeout))
        set_(self, "_deny", PatternList("deny", self.deny, self.match_timeout))
        set_(self, "_builtin", None if self.builtin is None else builtin_ruleset(self.builtin))
        set_(self, "_allowed", frozenset(self.allow_categories))
        answer = (self.block_status, self.block_body, self.block_content_type, self.retry_after)
        set_(self, "_block_response", block_response(*answer))
        set_(self, "_grpc_block_response", grpc_block_response(*answer))
        set_(self, "_verdict_header", None if self.verdict_header is None else self.verdict_header.lower().encode())
        set_(self, "_trusted_proxies", parse_networks("trusted_proxies", self.trusted_proxies))
        set_(self, "_proxy_header", self.forwarded_header.lower().encode())
        verification = None
        answers = {}
        if self.verify:
            verification = Verification(
                self.verify,
                normalize_crawlers(self.verified_crawlers),
                normalize_ranges(self.crawler_ranges),
                self.resolver,
                self.verify_timeout,
                (self.verified_ttl, self.refuted_ttl, self.failed_ttl),
                self.verify_cache_size,
                self.match_timeout,
                self.verify_max_waiting,
            )
            for name, entry in verification.names.items():
                answers[name] = (
                    Explanation(Verdict.SPOOFED, "verify", entry.rule, crawler=name),
                    Explanation(Verdict.ALLOW, "verify", entry.rule, crawler=name),
                )
        elif self.crawler_ranges:
            raise ConfigError("crawler_ranges: given, but verify lists no crawler")
        set_(self, "_verification", verification)
        set_(self, "_claim_answers", answers)
        set_(self, "_names", rule_names(self._builtin) if self._builtin is not None and self.long_ua == "judge" else None)
        alone = not (self.allow or self.deny or self.verify or self.check_headers)
        set_(self, "_passes", self._builtin.passes if self._builtin is not None and alone else None)
        set_(self, "_passed", self._builtin.passed if self._builtin is not None else set())

    def _check_verification(self) -> None:
        set_ = object.__setattr__
        for name in ("verify", "trusted_proxies"):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
                raise ConfigError(f"{name}: expected a list of strings, got {type(value).__name__}: {value!r}")
            set_(self, name, tuple(value))
        for index, name in enumerate(self.verify):
            if not isinstance(name, str):
                raise ConfigError(f"verify[{index}]: expected a crawler name, got {name!r}")
        if len(set(self.verify)) != len(self.verify):
            raise ConfigError(f"verify: a crawler is listed twice: {list(self.verify)}")
        if self.forwarded_header not in _PROXY_HEADERS:
            raise ConfigError(f"forwarded_header: expected one of {list(_PROXY_HEADERS)}, got {self.forwarded_header!r}")
        _check_seconds("verify_timeout", self.verify_timeout, low=0.0, high=30.0, open_low=True)
        for name in ("verified_ttl", "refuted_ttl", "failed_ttl"):
            _check_seconds(name, getattr(self, name), low=0.0, high=30 * 86_400.0)
        _check_int("verify_cache_size", self.verify_cache_size, low=1)
        _check_int("verify_max_waiting", self.verify_max_waiting, low=0)
        if self.resolver is not None and not (
            callable(getattr(self.resolver, "reverse", None)) and callable(getattr(self.resolver, "forward", None))
        ):
            raise ConfigError(f"resolver: expected an object with reverse(ip) and forward(name), got {self.resolver!r}")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Config:
        """Build a config from a dict such as a parsed TOML or JSON file.

            Config.from_mapping({"deny": ["(?i)scrapy"], "builtin": "kong"})

        Keys are the field names; Kong's `whitelist`/`blacklist` are accepted for `allow`/`deny`.
        Unknown keys, and `on_block` and `resolver` (code only), are a `ConfigError` naming them.
        """
        if not isinstance(mapping, Mapping):
            raise ConfigError(f"config: expected a table of settings, got {type(mapping).__name__}")
        known = FIELD_NAMES - _CODE_ONLY
        kwargs: dict[str, Any] = {}
        unknown = []
        for key, value in mapping.items():
            name = _ALIASES.get(key, key)
            if name not in known:
                unknown.append(key)
            elif name in kwargs:
                raise ConfigError(f"{key}: given twice (as {name!r} and its Kong alias)")
            else:
                kwargs[name] = value
        if unknown:
            raise unknown_names("key", unknown, known | set(_ALIASES))
        return cls(**kwargs)

    def _claim_answer(self, crawler: str, timed_out: bool) -> Explanation:
        spoofed = self._claim_answers[crawler][0]
        return Explanation(Verdict.SPOOFED, "verify", spoofed.rule, True, crawler) if timed_out else spoofed


# The fields a `Config` is built from (its keywords; the derived `_` ones apart).
FIELD_NAMES: Final = frozenset(f.name for f in fields(Config) if f.init)


def check_field_names(names: Iterable[str]) -> None:
    """Raise the `ConfigError` that names the field meant, for a name that is not a `Config` field
    (a typo would otherwise be a `TypeError` from inside the dataclass that does not say which)."""
    unknown = [name for name in names if name not in FIELD_NAMES]
    if unknown:
        raise unknown_names("field", unknown, FIELD_NAMES)


def _pattern_tuple(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigError(f"{name}: expected a list of regex strings, got {type(value).__name__}: {value!r}")
    return tuple(value)


def _check_seconds(name: str, value: Any, *, low: float, high: float, open_low: bool = False) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or value != value
        or value < low
        or (open_low and value == low)
        or value > high
    ):
        bound = f"({low:g}, {high:g}]" if open_low else f"[{low:g}, {high:g}]"
        raise ConfigError(f"{name}: expected seconds in {bound}, got {value!r}")


def _category_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigError(f"allow_categories: expected a list of category names, got {type(value).__name__}: {value!r}")
    names = tuple(value)
    for name in names:
        if name not in CATEGORIES:
            raise ConfigError(f"allow_categories: unknown category {name!r}; choose from {list(CATEGORIES)}")
    return names


def _check_int(name: str, value: Any, *, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ConfigError(f"{name}: expected a whole number {bound}, got {value!r}")


_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _check_header_name(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value or not set(value) <= _TOKEN:
        raise ConfigError(f"{name}: not a valid HTTP header name: {value!r}")


def _check_header_value(name: str, value: str) -> None:
    if any(c in value for c in "\r\n\0") or not value.isascii():
        raise ConfigError(f"{name}: not a valid HTTP header value: {value!r}")
