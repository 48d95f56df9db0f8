"""The `botguard` command: see what the rules make of User-Agents and of a real access log.

    botguard check "curl/8.4.0" "Mozilla/5.0 ..." [--config FILE] [--builtin NAME] [--json]
    botguard scan access.log [--config FILE] [--top 10] [--json]
    tail -n 100000 access.log | botguard scan -

Exit codes:
    0: done; for `check`, every User-Agent would pass (NONE or ALLOW).
    1: `check` only: at least one User-Agent would be blocked (DENY or BOT).
    2: bad usage, a config file botguard cannot use, or a log it cannot read.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import regex

from ._cache import cached_explanation, verdict_cache
from ._config import Config, Explanation
from ._errors import ConfigError
from ._patterns import decode_user_agent
from ._rulesets import BUILTIN_NAMES
from ._verdict import Verdict

__all__ = ["main", "load_config_file", "user_agents_of_log"]

EXIT_OK, EXIT_BLOCKED, EXIT_USAGE = 0, 1, 2

# Common and combined log formats: host ident user [time] "request" status size ["referer" "agent"].
# Quoted fields may hold \" escapes (nginx writes them so).
_LOG_LINE = regex.compile(
    r'^\S+ \S+ \S+ \[[^\]]*\] "(?:[^"\\]|\\.)*" (?:\d{3}|-) (?:\d+|-)'
    r'(?: "(?:[^"\\]|\\.)*" "(?P<agent>(?:[^"\\]|\\.)*)")?'
)
# What a log writes for a request that had no User-Agent header.
_NO_AGENT = "-"


class _UsageError(Exception):
    """A problem with the command line or its files, reported with exit code 2."""


def load_config_file(path: Path) -> Config:
    """A `Config` from a TOML or JSON file: its top-level keys, or a `[botguard]` / `[tool.botguard]` table.

        load_config_file(Path("botguard.toml"))
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _UsageError(f"cannot read config {path}: {exc.strerror or exc}") from None
    try:
        data: Any = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise _UsageError(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'}: {exc}") from None
    if isinstance(data, Mapping):
        if isinstance(data.get("tool"), Mapping) and isinstance(data["tool"].get("botguard"), Mapping):
            data = data["tool"]["botguard"]
        elif isinstance(data.get("botguard"), Mapping):
            data = data["botguard"]
    try:
        return Config.from_mapping(data)
    except ConfigError as exc:
        raise _UsageError(f"{path}: {exc}") from None


def user_agents_of_log(lines: Iterable[str]) -> Iterator[str | None]:
    """The User-Agent of each line: from a combined-format line, None from a common-format line
    (or a combined one logged as "-"), else the whole line (a file of one User-Agent a line).
    Blank lines are skipped."""
    for line in lines:
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        found = _LOG_LINE.match(line)
        if found is None:
            yield line
        elif found.group("agent") is None or found.group("agent") == _NO_AGENT:
            yield None
        else:
            yield found.group("agent").replace('\\"', '"').replace("\\\\", "\\")


def _config(args: argparse.Namespace) -> Config:
    config = load_config_file(args.config) if args.config is not None else None
    if args.builtin is not None:
        builtin = None if args.builtin == "none" else args.builtin
        if config is None:
            return Config(builtin=builtin)
        fields = {name: getattr(config, name) for name in ("allow", "deny", "allow_categories", "missing_ua", "empty_ua")}
        return Config(builtin=builtin, **fields)
    return config if config is not None else Config()


def _check(args: argparse.Namespace, out: TextIO) -> int:
    config = _config(args)
    results = [(ua, config.explain_text(decode_user_agent(ua))) for ua in args.user_agents]
    if args.json:
        json.dump([{"user_agent": ua, **found.as_dict()} for ua, found in results], out, indent=2)
        out.write("\n")
    else:
        for ua, found in results:
            out.write(f"{ua}\n  {_describe(found)}\n")
    return EXIT_BLOCKED if any(found.verdict.blocked for _, found in results) else EXIT_OK


def _scan(args: argparse.Namespace, out: TextIO) -> int:
    config = _config(args)
    cache = verdict_cache(config)
    verdicts: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    blocked: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    why: dict[str, Explanation] = {}
    total = 0
    try:
        source = sys.stdin if str(args.file) == "-" else open(args.file, encoding="utf-8", errors="replace")
    except OSError as exc:
        raise _UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    with source:
        for ua in user_agents_of_log(source):
            total += 1
            found = config.explain_text(None) if ua is None else cached_explanation(config, cache, ua)
            verdicts[found.verdict.name] += 1
            if found.category is not None:
                categories[found.category] += 1
            shown = "<no User-Agent>" if ua is None else ua
            (blocked if found.verdict.blocked else passed)[shown] += 1
            why.setdefault(shown, found)
    report = {
        "requests": total,
        "verdicts": {v.name: verdicts[v.name] for v in Verdict},
        "categories": dict(categories.most_common()),
        "top_blocked": [{"user_agent": ua, "count": n, **why[ua].as_dict()} for ua, n in blocked.most_common(args.top)],
        "top_allowed": [{"user_agent": ua, "count": n, **why[ua].as_dict()} for ua, n in passed.most_common(args.top)],
    }
    if args.json:
        json.dump(report, out, indent=2)
        out.write("\n")
        return EXIT_OK
    out.write(f"{total} requests\n\nverdicts:\n")
    for name, count in report["verdicts"].items():  # type: ignore[attr-defined]
        out.write(f"  {name:<8} {count:>7}  {_share(count, total)}\n")
    out.write("\nmatched built-in categories (blocked, or admitted by allow_categories):\n")
    if not categories:
        out.write("  (none)\n")
    for name, count in categories.most_common():
        out.write(f"  {name:<8} {count:>7}  {_share(count, total)}\n")
    for title, counter in (("top blocked agents", blocked), ("top allowed agents", passed)):
        out.write(f"\n{title}:\n")
        if not counter:
            out.write("  (none)\n")
        for ua, count in counter.most_common(args.top):
            out.write(f"  {count:>9}  {ua[:160]}\n             {_describe(why[ua])}\n")
    return EXIT_OK


def _describe(found: Explanation, width: int = 100) -> str:
    """`str(found)`, with a long pattern (Kong's run to 3,000 characters) cut for the terminal."""
    rule = found.rule
    if rule is None or len(rule.pattern) <= width:
        return str(found)
    return str(Explanation(found.verdict, found.list, type(rule)(rule.pattern[:width] + "...", rule.index, rule.source, rule.category)))


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:5.1f}%" if total else "    -"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="botguard",
        description="See what botguard's rules make of User-Agents and access logs.",
        epilog="exit codes: 0 done (check: nothing blocked); 1 check: something blocked; 2 usage or file error",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, metavar="FILE", help="a TOML or JSON config (Config fields as keys)")
    common.add_argument(
        "--builtin", choices=[*BUILTIN_NAMES, "none"], help="the built-in list to use (overrides the config's)"
    )
    common.add_argument("--json", action="store_true", help="print JSON")
    check = commands.add_parser("check", parents=[common], help="the verdict and its reason for each User-Agent")
    check.add_argument("user_agents", nargs="+", metavar="UA")
    scan = commands.add_parser(
        "scan", parents=[common], help="counts and top agents of an access log (combined/common format, or one UA a line)"
    )
    scan.add_argument("file", type=Path, metavar="FILE|-")
    scan.add_argument("--top", type=int, default=10, metavar="N", help="how many top agents to list (default 10)")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the `botguard` command; returns its exit code (see the module docstring)."""
    out = sys.stdout if out is None else out
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    try:
        return _check(args, out) if args.command == "check" else _scan(args, out)
    except (_UsageError, ConfigError) as exc:
        print(f"botguard: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `botguard scan log | head`
        return EXIT_OK
