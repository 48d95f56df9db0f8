"""What `botguard scan` reads and counts: access logs of any size, in bounded memory.

A log is read a line at a time (gzip or plain, a file or stdin; combined, common or JSON lines,
or one User-Agent a line). Each request is decided as the middleware would decide it, and
counted per verdict, per hour, per category and per rule; agents are counted in two bounded
top-K tables (space-saving), so a log of a million distinct User-Agents takes no more memory
than one of ten.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import os
import stat
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import IO, Any, Final

import regex

from ._cache import cached_explanation, verdict_cache
from ._config import Config, Explanation
from ._judge import judge
from ._forged import browser_claim
from ._verdict import Verdict

__all__ = [
    "FORMATS",
    "LogLine",
    "Progress",
    "ScanTotals",
    "TopAgents",
    "LogInput",
    "parse_lines",
    "rule_id",
    "TIME_FIELDS",
    "UA_FIELDS",
]

# The formats `--format` names; "auto" reads each line as whichever it is.
FORMATS: Final = ("auto", "combined", "json", "lines")
# A line longer than this is cut here: the rest is skipped, so one huge line cannot fill memory.
MAX_LINE: Final = 64 * 1024
# An agent is counted under its first 1,024 characters (it is decided on the whole line).
AGENT_KEY_CHARS: Final = 1024
# Distinct hours kept for the timeline (more than eleven years); later ones count as undated.
MAX_HOURS: Final = 100_000
# JSON fields tried, in order, when `--ua-field` / `--time-field` is not given.
UA_FIELDS: Final = ("user_agent", "http_user_agent", "userAgent", "user-agent", "ua", "agent")
TIME_FIELDS: Final = ("time", "timestamp", "@timestamp", "ts", "time_local", "date")

# Common and combined log formats: host ident user [time] "request" status size ["referer" "agent"].
# Quoted fields may hold \" escapes (nginx writes them so).
_LOG_LINE = regex.compile(
    r'^\S+ \S+ \S+ \[(?P<time>[^\]]*)\] "(?:[^"\\]|\\.)*" (?:\d{3}|-) (?:\d+|-)'
    r'(?: "(?:[^"\\]|\\.)*" "(?P<agent>(?:[^"\\]|\\.)*)")?'
)
# What a log writes for a request that had no User-Agent header.
_NO_AGENT = "-"
_MONTHS: Final = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


@dataclass(frozen=True, slots=True)
class LogLine:
    """One request of a log: its User-Agent (None: the request had none) and its hour (None: undated).

    `hour` counts hours since the Unix epoch, in UTC.
    """

    user_agent: str | None
    hour: int | None


class LogInput:
    """A log opened for reading ("-": stdin), gunzipped when it starts as gzip does; close it (or use `with`)."""

    def __init__(self, path: str) -> None:
        self.name = "stdin" if path == "-" else path
        raw: Any = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115 - closed by close()
        self._owned = raw if path != "-" else None
        self._raw: io.BufferedReader = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)
        self._stream: IO[bytes] | gzip.GzipFile = self._raw
        if self._raw.peek(2)[:2] == b"\x1f\x8b":
            self._stream = gzip.GzipFile(fileobj=self._raw, mode="rb")
        # The size of a regular file, for a progress bar (None for stdin, a pipe or a device).
        self.size: int | None = None
        if self._owned is not None:
            st = os.fstat(self._owned.fileno())
            self.size = st.st_size if stat.S_ISREG(st.st_mode) and st.st_size > 0 else None

    def lines(self) -> Iterator[str]:
        """The lines as text (UTF-8, undecodable bytes replaced), each cut at `MAX_LINE` characters."""
        stream = self._stream
        while True:
            line = stream.readline(MAX_LINE)
            if not line:
                return
            if not line.endswith(b"\n") and len(line) == MAX_LINE:
                while (rest := stream.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                    pass  # the rest of an over-long line is skipped a piece at a time
            yield line.decode("utf-8", "replace")

    def position(self) -> int | None:
        """How far into the file (as stored: compressed, for gzip) reading has come."""
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        if self._stream is not self._raw:
            self._stream.close()
        if self._owned is not None:
            self._owned.close()

    def __enter__(self) -> LogInput:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def parse_lines(
    lines: Iterable[str], fmt: str = "auto", ua_field: str | None = None, time_field: str | None = None
) -> Iterator[LogLine | None]:
    """Each line's request, or None for a line that is not one in format `fmt` (blank lines are skipped).

    "combined" reads combined and common log format (a common-format line has no User-Agent),
    "json" one JSON object a line (the User-Agent in `ua_field`, a dotted path, and the time in
    `time_field`), "lines" one User-Agent a line, and "auto" each line as whichever it is.
    """
    hours: dict[str, int | None] = {}
    for line in lines:
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        if fmt in ("auto", "combined"):
            found = _LOG_LINE.match(line)
            if found is not None:
                agent = found.group("agent")
                if agent is None or agent == _NO_AGENT:
                    ua = None
                else:
                    ua = agent.replace('\\"', '"').replace("\\\\", "\\")
                yield LogLine(ua, _clf_hour(found.group("time"), hours))
                continue
            if fmt == "combined":
                yield None
                continue
        if fmt in ("auto", "json") and line.lstrip().startswith("{"):
            try:
                record = json.loads(line)
            except (ValueError, RecursionError):
                record = None
            if isinstance(record, Mapping):
                yield LogLine(_json_agent(record, ua_field), _json_hour(record, time_field))
                continue
        if fmt == "json":
            yield None
            continue
        yield LogLine(line, None)


def _field(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _json_agent(record: Mapping[str, Any], field: str | None) -> str | None:
    for name in (field,) if field is not None else UA_FIELDS:
        value = _field(record, name)
        if isinstance(value, str):
            return None if value in ("", _NO_AGENT) else value
    return None


def _json_hour(record: Mapping[str, Any], field: str | None) -> int | None:
    for name in (field,) if field is not None else TIME_FIELDS:
        value = _field(record, name)
        if value is None:
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = value / 1000 if value > 1e11 else value  # milliseconds, as JavaScript writes them
            return int(seconds // 3600) if seconds == seconds and abs(seconds) < 1e13 else None
        if isinstance(value, str):
            return _iso_hour(value)
    return None


def _iso_hour(text: str) -> int | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        try:
            moment = datetime.strptime(text, "%d/%b/%Y:%H:%M:%S %z")
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() // 3600)


def _clf_hour(text: str, memo: dict[str, int | None]) -> int | None:
    # "10/Oct/2025:13:55:36 +0000": the hour is the same for every line of that hour and zone,
    # so it is computed once per distinct (hour, zone).
    key = text[:14] + text[20:]
    hour = memo.get(key, -1)
    if hour != -1:
        return hour
    try:
        day, month, year = int(text[0:2]), _MONTHS[text[3:6]], int(text[7:11])
        moment = datetime(year, month, day, int(text[12:14]), tzinfo=timezone.utc)
        zone = text[21:26]
        offset = (int(zone[1:3]) * 60 + int(zone[3:5])) * (-1 if zone[0] == "-" else 1)
        found: int | None = int((moment.timestamp() - offset * 60) // 3600)
    except (ValueError, KeyError, IndexError):
        found = None
    if len(memo) > 10_000:
        memo.clear()
    memo[key] = found
    return found


class TopAgents:
    """The most frequent agents of a stream in at most `capacity` entries (Metwally's space-saving).

    While fewer than `capacity` agents were seen, counts are exact. After that a new agent
    replaces one with the smallest count and inherits that count as its possible overcount
    (`error`): every agent that occurred more often than the smallest count is still in the
    table, and each count is at most `error` too high. Each update is O(1).
    """

    __slots__ = ("capacity", "_entries", "_buckets", "_min")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity: at least 1")
        self.capacity = capacity
        # agent -> [count, error, what decided it]
        self._entries: dict[str, list[Any]] = {}
        # count -> the agents with that count (a dict as an ordered set: the oldest goes first)
        self._buckets: dict[int, dict[str, None]] = {}
        self._min = 0

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, agent: str, explanation: Explanation) -> None:
        entry = self._entries.get(agent)
        if entry is not None:
            count = entry[0]
            self._unbucket(agent, count)
            self._bucket(agent, count + 1)
            entry[0] = count + 1
            if count == self._min and count not in self._buckets:
                self._min = count + 1  # counts grow by one: the next smallest is right above
            return
        floor = 0
        if len(self._entries) >= self.capacity:
            floor = self._min
            evicted = next(iter(self._buckets[floor]))
            self._unbucket(evicted, floor)
            del self._entries[evicted]
        self._entries[agent] = [floor + 1, floor, explanation]
        self._bucket(agent, floor + 1)
        if floor == 0 or floor not in self._buckets:
            self._min = floor + 1

    def _bucket(self, agent: str, count: int) -> None:
        self._buckets.setdefault(count, {})[agent] = None

    def _unbucket(self, agent: str, count: int) -> None:
        bucket = self._buckets[count]
        del bucket[agent]
        if not bucket:
            del self._buckets[count]

    def most_common(self, n: int) -> list[tuple[str, int, int, Explanation]]:
        """The `n` largest as (agent, count, error, explanation), largest first."""
        ranked = sorted(self._entries.items(), key=lambda item: -item[1][0])[:n]
        return [(agent, count, error, found) for agent, (count, error, found) in ranked]

    @property
    def approximate(self) -> bool:
        """Whether some agent was evicted, so that counts may be too high by their `error`."""
        return any(error for _, error, _ in self._entries.values())


class ScanTotals:
    """Everything `botguard scan` counts, in memory bounded by `capacity` (agents per table) and `MAX_HOURS`."""

    def __init__(self, config: Config, capacity: int = 10_000) -> None:
        self.config = config
        self._cache = verdict_cache(config)
        self.requests = 0
        self.unparsed = 0
        self.verdicts: Counter[Verdict] = Counter()
        self.categories: Counter[str] = Counter()
        self.blocked_categories: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.hours: dict[int, list[int]] = {}
        self.undated = 0
        self.blocked = TopAgents(capacity)
        self.passed = TopAgents(capacity)
        # Which passing agents claim a browser the header check (`check_headers`) would check,
        # read once per distinct agent while it stays in this bounded memo.
        self._claim = functools.lru_cache(maxsize=4096)(_checked_claim)
        self.claims: Counter[str] = Counter()
        self.claimed_requests = 0

    def add(self, line: LogLine | None) -> None:
        if line is None:
            self.unparsed += 1
            return
        self.requests += 1
        ua = line.user_agent
        found = judge(self.config, None) if ua is None else cached_explanation(self.config, self._cache, ua)
        verdict = found.verdict
        self.verdicts[verdict] += 1
        category = found.category
        if category is not None:
            self.categories[category] += 1
            if verdict.blocked:
                self.blocked_categories[category] += 1
        if found.rule is not None:
            self.rules[rule_id(found)] += 1
        if line.hour is None:
            self.undated += 1
        else:
            counts = self.hours.get(line.hour)
            if counts is None:
                if len(self.hours) >= MAX_HOURS:
                    self.undated += 1
                    counts = None
                else:
                    counts = self.hours[line.hour] = [0] * len(Verdict)
            if counts is not None:
                counts[_VERDICT_INDEX[verdict]] += 1
        key = "<no User-Agent>" if ua is None else ua if len(ua) <= AGENT_KEY_CHARS else ua[:AGENT_KEY_CHARS] + "..."
        if verdict.blocked:
            self.blocked.add(key, found)
        else:
            self.passed.add(key, found)
            label = None if ua is None else self._claim(ua)
            if label is not None:
                self.claimed_requests += 1
                if label in self.claims or len(self.claims) < 1_000:
                    self.claims[label] += 1

    @property
    def blocked_requests(self) -> int:
        return sum(n for verdict, n in self.verdicts.items() if verdict.blocked)


_VERDICT_INDEX: Final = {verdict: i for i, verdict in enumerate(Verdict)}


def _checked_claim(user_agent: str) -> str | None:
    """The browser a User-Agent claims ("Chrome 131") when `check_headers` would check its requests, else None."""
    claim = browser_claim(user_agent)
    if claim is None or (claim.fetch_metadata is None and claim.chromium is None):
        return None
    return claim.label


def rule_id(found: Explanation) -> str:
    """How a log line names the rule that decided: "deny[0]", "builtin[12]", "missing_ua"."""
    rule = found.rule
    if rule is None:
        return "-"
    if found.rule_list == "policy":
        return rule.source
    return f"{found.rule_list}[{rule.index}]"


class Progress:
    """A one-line progress bar on a terminal: bytes read of the total when it is known, else lines.

    It appears only once a scan has run for `delay` seconds, so a small log never shows one
    (`botguard scan --progress` asks for it from the start).
    """

    def __init__(self, out: IO[str], total: int | None, delay: float = 0.5) -> None:
        self._out = out
        self._total = total
        self._started = time.monotonic()
        self._delay = delay
        self._shown = False
        self._next = self._started + delay

    def update(self, position: int | None, lines: int) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + 0.2
        self._shown = True
        elapsed = now - self._started
        rate = f"{lines / elapsed:,.0f} lines/s" if elapsed > 0 else ""
        if self._total and position is not None:
            share = min(position / self._total, 1.0)
            bar = "#" * int(share * 30)
            text = f"[{bar:<30}] {share:6.1%}  {position / 2**20:,.1f}/{self._total / 2**20:,.1f} MiB  {lines:,} lines  {rate}"
        else:
            text = f"{lines:,} lines  {rate}"
        self._out.write("\r" + text + "\x1b[K")
        self._out.flush()

    def done(self) -> None:
        if self._shown:
            self._out.write("\r\x1b[K")
            self._out.flush()
