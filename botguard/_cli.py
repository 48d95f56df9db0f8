"""The `botguard` command: see what the rules make of User-Agents and of a real access log.

    botguard check "curl/8.4.0" "Mozilla/5.0 ..." [--config FILE] [--builtin NAME] [--json] [--why]
    botguard scan access.log [--config FILE] [--top 10] [--json] [--html report.html]
    zcat access.log.1.gz | botguard scan -          # or the .gz itself: gzip is recognised
    botguard scan app.jsonl --format json --ua-field request.headers.user_agent
    botguard --version

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
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

from ._cache import explain
from ._config import Config, Explanation
from ._errors import ConfigError
from ._loader import settings_table
from ._observe import safe_text, shortened
from ._patterns import normalize_user_agent
from ._report import render_html
from ._rulesets import BUILTIN_NAMES
from ._scan import FORMATS, TIME_FIELDS, UA_FIELDS, LogInput, Progress, ScanTotals, parse_lines, rule_id
from ._verdict import Verdict

__all__ = ["main", "load_config_file", "user_agents_of_log"]

EXIT_OK, EXIT_BLOCKED, EXIT_USAGE = 0, 1, 2
# How much of a User-Agent and of a pattern a terminal line shows.
UA_CHARS, PATTERN_CHARS = 160, 100


class _UsageError(Exception):
    """A problem with the command line or its files, reported with exit code 2."""


def load_config_file(path: Path) -> Config:
    """A `Config` from a TOML or JSON file: its top-level keys, a `[botguard]` / `[tool.botguard]`
    table, or a Kong bot-detection plugin entity, as the loader reads them (`settings_table`).

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
    except RecursionError:
        raise _UsageError(f"{path}: nested too deeply to be a config (a table of settings whose values are lists of strings)") from None
    try:
        return Config.from_mapping(settings_table(data))
    except ConfigError as exc:
        raise _UsageError(f"{path}: {exc}") from None
    except RecursionError:
        raise _UsageError(f"{path}: nested too deeply to be a config") from None


def user_agents_of_log(lines: Iterable[str]) -> Iterator[str | None]:
    """The User-Agent of each line: from a combined-format line, None from a common-format line
    (or a combined one logged as "-"), from a JSON line its `user_agent` (or a like-named) field,
    else the whole line (a file of one User-Agent a line). Blank lines are skipped."""
    for line in parse_lines(lines):
        if line is not None:
            yield line.user_agent


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
    results = [(ua, explain(ua, config)) for ua in args.user_agents]
    if args.json:
        rows = [{"user_agent": ua, **found.as_dict()} for ua, found in results]
        if args.why:
            for row in rows:
                row["evidence"] = _evidence_dict(config, row["user_agent"])
        json.dump(rows, out, indent=2)
        out.write("\n")
    else:
        for ua, found in results:
            out.write(f"{safe_text(ua, 10_000)}\n  {shortened(found, PATTERN_CHARS)}\n")
            if args.why:
                out.write(f"  weighed: {_evidence_line(config, ua)}\n")
    return EXIT_BLOCKED if any(found.verdict.blocked for _, found in results) else EXIT_OK


# How many of the features that weighed most `check --why` names on its line (JSON has them all).
WHY_FEATURES = 6


def _evidence_line(config: Config, ua: str) -> str:
    """What the built-in list weighed in `ua`, in one line (`check --why`)."""
    if config._builtin is None:
        return "nothing: no built-in list"
    evidence = config._builtin.evidence(normalize_user_agent(ua))
    if evidence is None:
        return f"nothing: the {config._builtin.name} list takes its first match"
    if evidence.step == "browser":
        return "nothing: a major browser's own string is a person's before the lists and the model"
    if evidence.step == "certain":
        return "nothing: a probe or a named rule decides alone"
    assert evidence.score is not None and evidence.threshold is not None
    compared = ">=" if evidence.score >= evidence.threshold else "<"
    against = f"with a rule of {evidence.rule.source}" if evidence.rule is not None else "without a rule"
    if evidence.versionless:
        against += ", with no version"
    spoken = ", but people's media software speaks for it" if evidence.spoken_for else ""
    shown = ", ".join(f"{label} {weight:+.2f}" for label, weight in evidence.features[:WHY_FEATURES])
    more = len(evidence.features) - WHY_FEATURES
    rest = f" (and {more} more)" if more > 0 else ""
    return f"score {evidence.score:.2f} {compared} {evidence.threshold:.2f} {against}{spoken}: {shown}{rest}"


def _evidence_dict(config: Config, ua: str) -> dict[str, Any] | None:
    """`_evidence_line` as JSON (every feature); None without a list that weighs."""
    evidence = None if config._builtin is None else config._builtin.evidence(normalize_user_agent(ua))
    if evidence is None:
        return None
    found: dict[str, Any] = {"step": evidence.step}
    if evidence.step == "weighed":
        found.update(
            score=round(evidence.score or 0.0, 3),
            threshold=evidence.threshold,
            rule=None if evidence.rule is None else {"pattern": evidence.rule.pattern, "source": evidence.rule.source},
            spoken_for=evidence.spoken_for,
            features=[[label, round(weight, 3)] for label, weight in evidence.features],
        )
    return found


def _scan(args: argparse.Namespace, out: TextIO) -> int:
    config = _config(args)
    path = str(args.file)
    try:
        log = LogInput(path)
    except OSError as exc:
        raise _UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    totals = ScanTotals(config, capacity=args.max_agents)
    show_progress = args.progress if args.progress is not None else sys.stderr.isatty()
    progress = Progress(sys.stderr, log.size, delay=0.0 if args.progress else 0.5) if show_progress else None
    lines = 0
    try:
        with log:
            for line in parse_lines(log.lines(), args.format, args.ua_field, args.time_field):
                totals.add(line)
                lines += 1
                if progress is not None and not lines & 0x3FF:
                    progress.update(log.position(), lines)
    except (OSError, EOFError) as exc:  # a truncated gzip file, a read error
        raise _UsageError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    finally:
        if progress is not None:
            progress.done()
    report = _report(totals, config, log.name, args.top)
    if args.html is not None:
        try:
            args.html.write_text(render_html(report), encoding="utf-8")
        except OSError as exc:
            raise _UsageError(f"cannot write {args.html}: {exc.strerror or exc}") from None
    if args.json:
        json.dump(report, out, indent=2)
        out.write("\n")
    else:
        _print_report(report, out)
    if args.html is not None:
        print(f"botguard: report written to {args.html}", file=sys.stderr)
    return EXIT_OK


def _report(totals: ScanTotals, config: Config, source: str, top: int) -> dict[str, Any]:
    """The scan's findings as a JSON-ready dict (what `--json` prints and `--html` draws)."""
    names = [v.name for v in Verdict]
    what_if_categories = [{"category": name, "requests": count} for name, count in totals.blocked_categories.most_common()]
    check_headers = {
        "enabled": config.check_headers,
        "requests": totals.claimed_requests,
        "browsers": dict(totals.claims.most_common(top)),
    }
    return {
        "source": source,
        "requests": totals.requests,
        "unparsed": totals.unparsed,
        "verdicts": {v.name: totals.verdicts[v] for v in Verdict},
        "blocking_verdicts": [v.name for v in Verdict if v.blocked],
        "categories": dict(totals.categories.most_common()),
        "blocked_categories": dict(totals.blocked_categories.most_common()),
        "rules": dict(totals.rules.most_common(top)),
        "hours": [
            {"hour": _iso_hour(hour), "hour_index": hour, **{n: c for n, c in zip(names, counts) if c}}
            for hour, counts in sorted(totals.hours.items())
        ],
        "undated": totals.undated,
        "top_blocked": _rows(totals.blocked.most_common(top)),
        "top_allowed": _rows(totals.passed.most_common(top)),
        "approximate": totals.blocked.approximate or totals.passed.approximate,
        "agents_kept": totals.blocked.capacity,
        "what_if": {"allow_categories": what_if_categories, "check_headers": check_headers},
        "rules_in_force": _rules_in_force(config),
        "botguard_version": _version(),
    }


def _rows(entries: list[tuple[str, int, int, Explanation]]) -> list[dict[str, Any]]:
    rows = []
    for ua, count, error, found in entries:
        row: dict[str, Any] = {"user_agent": ua, "count": count, **found.as_dict(), "rule": rule_id(found), "why": shortened(found, PATTERN_CHARS)}
        if error:
            row["error"] = error
        rows.append(row)
    return rows


def _iso_hour(hour: int) -> str:
    return datetime.fromtimestamp(hour * 3600, timezone.utc).strftime("%Y-%m-%dT%H:00Z")


def _rules_in_force(config: Config) -> str:
    parts = [f"builtin={config.builtin or 'none'}"]
    if config.allow:
        parts.append(f"{len(config.allow)} allow")
    if config.deny:
        parts.append(f"{len(config.deny)} deny")
    if config.allow_categories:
        parts.append("allow_categories=" + ",".join(config.allow_categories))
    return ", ".join(parts)


def _print_report(report: dict[str, Any], out: TextIO) -> None:
    total = report["requests"]
    out.write(f"{total} requests\n")
    if report["unparsed"]:
        out.write(f"({report['unparsed']} lines not read as requests)\n")
    out.write("\nverdicts:\n")
    for name, count in report["verdicts"].items():
        out.write(f"  {name:<8} {count:>7}  {_share(count, total)}\n")
    out.write("\nmatched built-in categories (blocked, or admitted by allow_categories):\n")
    if not report["categories"]:
        out.write("  (none)\n")
    for name, count in report["categories"].items():
        out.write(f"  {name:<8} {count:>7}  {_share(count, total)}\n")
    for title, rows in (("top blocked agents", report["top_blocked"]), ("top allowed agents", report["top_allowed"])):
        out.write(f"\n{title}:\n")
        if not rows:
            out.write("  (none)\n")
        for row in rows:
            count = f"{row['count']}" + (f"±{row['error']}" if row.get("error") else "")
            out.write(f"  {count:>9}  {safe_text(row['user_agent'], UA_CHARS)}\n             {row['why']}\n")
    what_if = report["what_if"]
    out.write("\nwhat a setting would change:\n")
    for row in what_if["allow_categories"]:
        out.write(f'  allow_categories = ["{row["category"]}"] would admit {row["requests"]} requests ({_share(row["requests"], total).strip()})\n')
    headers = what_if["check_headers"]
    verb = "checks" if headers["enabled"] else "would check"
    out.write(
        f"  check_headers=True {verb} {headers['requests']} of the passing requests: they claim a mainstream browser\n"
        "    (a log does not record the headers the check reads: run in monitor mode to count failures)\n"
    )
    if report["approximate"]:
        out.write(f"\n(more distinct agents than the {report['agents_kept']} kept: a ± count may be that much too high)\n")


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:5.1f}%" if total else "    -"


def _version() -> str:
    try:
        return metadata.version("botguard")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="botguard",
        description="See what botguard's rules make of User-Agents and access logs.",
        epilog="exit codes: 0 done (check: nothing blocked); 1 check: something blocked; 2 usage or file error",
    )
    parser.add_argument("--version", action="version", version=f"botguard {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, metavar="FILE", help="a TOML or JSON config (Config fields as keys)")
    common.add_argument(
        "--builtin", choices=[*BUILTIN_NAMES, "none"], help="the built-in list to use (overrides the config's)"
    )
    common.add_argument("--json", action="store_true", help="print JSON")
    check = commands.add_parser("check", parents=[common], help="the verdict and its reason for each User-Agent")
    check.add_argument("user_agents", nargs="+", metavar="UA")
    check.add_argument(
        "--why", action="store_true", help="also show what the built-in detector weighed: the score, its threshold, the features"
    )
    scan = commands.add_parser(
        "scan",
        parents=[common],
        help="what the rules would do with an access log: counts, top agents, what a setting would change",
    )
    scan.add_argument("file", type=Path, metavar="FILE|-", help="the log (plain or gzip); - reads stdin")
    scan.add_argument("--top", type=_positive, default=10, metavar="N", help="how many top agents to list (default 10)")
    scan.add_argument("--html", type=Path, metavar="FILE", help="also write the report as one self-contained HTML page")
    scan.add_argument(
        "--format",
        choices=FORMATS,
        default="auto",
        help="combined (or common) log format, json (one object a line), lines (one User-Agent a line); "
        "auto (default): each line as whichever it is",
    )
    scan.add_argument(
        "--ua-field", metavar="NAME", help="the JSON field of the User-Agent, dotted for nesting (default: the first of "
        f"{', '.join(UA_FIELDS)})"
    )
    scan.add_argument("--time-field", metavar="NAME", help=f"the JSON field of the time (default: the first of {', '.join(TIME_FIELDS)})")
    scan.add_argument(
        "--max-agents",
        type=_positive,
        default=10_000,
        metavar="N",
        help="distinct agents counted per table (default 10,000): memory stays bounded on any log; "
        "past it, counts of rare agents are approximate",
    )
    scan.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar on stderr (default: when stderr is a terminal)",
    )
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


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
