"""`botguard scan --html`: the scan's findings as one self-contained HTML page.

Inline CSS and SVG only: no script, no font, no image or stylesheet from anywhere (the page's
Content-Security-Policy forbids them), so the file can be mailed, archived or opened offline.
Every string from the log is escaped twice over: control and bidi characters as the log lines
escape them, then for HTML.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Final

from ._observe import safe_text

__all__ = ["render_html"]

# One colour per verdict, readable on white and told apart without relying on red/green alone
# (passing verdicts are blue and teal, blocking ones orange to purple).
COLOURS: Final = {
    "NONE": "#3a7ca5",
    "ALLOW": "#2a9d8f",
    "DENY": "#e76f51",
    "BOT": "#c1121f",
    "SPOOFED": "#7b2cbf",
    "FORGED": "#f4a261",
}
_OTHER_COLOUR: Final = "#8d99ae"
# More buckets than this and the timeline is drawn per day.
_MAX_BARS: Final = 2_000

_CSS: Final = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232a;background:#f6f7f9;margin:0}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:12px 0 8px}h3{font-size:15px;margin:16px 0 6px}
.sub{color:#59636e;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:10px 14px;min-width:110px}
.card b{display:block;font-size:22px}.card span{color:#59636e;font-size:13px}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:8px 16px 16px;margin-top:16px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceff2;vertical-align:top}
th{color:#59636e;font-weight:600}td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
code,.ua{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
.badge{display:inline-block;color:#fff;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600}
.bar{height:8px;border-radius:4px;background:#c1121f;min-width:1px}
.legend span{display:inline-block;margin-right:14px;font-size:13px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.note{color:#59636e;font-size:13px}
svg text{font:11px system-ui,sans-serif;fill:#59636e}
"""


def _text(value: object, limit: int = 160) -> str:
    """A log-borne string fit for the page: control and bidi characters escaped, cut, HTML-escaped."""
    return html.escape(safe_text(str(value), limit))


def _pattern(value: str, limit: int = 80) -> str:
    """A rule's pattern for the page: shown as written (backslashes and all), control characters escaped."""
    cut = value if len(value) <= limit else value[:limit] + "..."
    return html.escape("".join(c if c.isprintable() else ascii(c)[1:-1] for c in cut))


def _requests(count: int) -> str:
    return f"{count:,} request" + ("" if count == 1 else "s")


def _ticks(peak: int) -> list[int]:
    """Round grid values from 0 to at least `peak`: steps of 1, 2 or 5 times a power of ten."""
    step = 1
    while peak / step > 5:
        for factor in (2, 5, 10):
            if peak / (step * factor) <= 5:
                step *= factor
                break
        else:
            step *= 10
    top = -(-peak // step) * step
    return list(range(0, top + 1, step))


def _colour(verdict: str) -> str:
    return COLOURS.get(verdict, _OTHER_COLOUR)


def _badge(verdict: str) -> str:
    return f'<span class="badge" style="background:{_colour(verdict)}">{html.escape(verdict)}</span>'


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else "-"


def render_html(report: Mapping[str, Any]) -> str:
    """The page for a scan report (the dict `botguard scan --json` prints)."""
    total = int(report["requests"])
    verdicts: Mapping[str, int] = report["verdicts"]
    blocked = sum(n for name, n in verdicts.items() if name in report["blocking_verdicts"])
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Nothing may load from anywhere, and nothing may run: the page is all there is.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>botguard scan: {_text(report['source'], 80)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        "<h1>What botguard would do with this traffic</h1>",
        f'<p class="sub">{_text(report["source"], 200)}: {total:,} requests'
        + (f", {report['unparsed']:,} lines not read as requests" if report["unparsed"] else "")
        + f". Rules: {_text(report['rules_in_force'], 300)}.</p>",
        '<div class="cards">',
        f'<div class="card"><b>{total:,}</b><span>requests</span></div>',
        f'<div class="card"><b>{_share(blocked, total)}</b><span>would be blocked ({blocked:,})</span></div>',
    ]
    for name, count in verdicts.items():
        if count:
            parts.append(
                f'<div class="card" style="border-top:4px solid {_colour(name)}"><b>{count:,}</b>'
                f"<span>{html.escape(name)} ({_share(count, total)})</span></div>"
            )
    parts.append("</div>")
    parts += _timeline(report)
    parts += _top_table("Top blocked agents, and the rule that decided", report["top_blocked"], bars=True)
    parts += _categories(report)
    parts += _what_if(report)
    parts += _top_table("Top passing agents", report["top_allowed"], bars=False)
    if report.get("approximate"):
        parts.append(
            f'<p class="note">This log had more distinct agents than the {report["agents_kept"]:,} each table keeps: '
            "counts marked ± may be that much too high, and an agent seen fewer times than the smallest count "
            "may be missing. Every total above is exact.</p>"
        )
    parts.append(f'<p class="note">botguard {_text(report["botguard_version"], 40)}, generated {_generated()}.</p>')
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _generated() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _legend(names: Sequence[str]) -> str:
    items = "".join(f'<span><i style="background:{_colour(n)}"></i>{html.escape(n)}</span>' for n in names)
    return f'<div class="legend">{items}</div>'


def _timeline(report: Mapping[str, Any]) -> list[str]:
    hours: Sequence[Mapping[str, Any]] = report["hours"]
    out = ["<section><h2>Requests per hour, by verdict</h2>"]
    if not hours:
        out.append('<p class="note">No line of this log carried a time this scan could read.</p></section>')
        return out
    names = [name for name in report["verdicts"] if any(h.get(name) for h in hours)]
    buckets, unit = _buckets(hours, names)
    if unit == "day":
        out[0] = "<section><h2>Requests per day, by verdict</h2>"
    width, height, left, bottom, top = 980, 260, 48, 34, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    ticks = _ticks(max((sum(counts) for _, counts in buckets), default=0) or 1)
    peak = ticks[-1]
    step = plot_w / len(buckets)
    svg = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="requests per {unit} by verdict">'
    ]
    for value in ticks:  # grid lines and their counts
        y = top + plot_h - plot_h * value / peak
        svg.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eceff2"/>')
        svg.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:,.0f}</text>')
    label_every = max(1, len(buckets) // 8)
    for i, (start, counts) in enumerate(buckets):
        x = left + i * step
        y = top + plot_h
        when = _when(start, unit)
        for name, count in zip(names, counts):
            if not count:
                continue
            h = plot_h * count / peak
            y -= h
            svg.append(
                f'<rect x="{x + step * 0.1:.2f}" y="{y:.2f}" width="{max(step * 0.8, 0.5):.2f}" height="{h:.2f}" '
                f'fill="{_colour(name)}"><title>{when}: {html.escape(name)} {count:,}</title></rect>'
            )
        if i % label_every == 0:
            svg.append(f'<text x="{x + step / 2:.1f}" y="{height - 12}" text-anchor="middle">{when}</text>')
    svg.append("</svg>")
    out.append(_legend(names))
    out.append("".join(svg))
    if report.get("undated"):
        out.append(f'<p class="note">{report["undated"]:,} requests carried no readable time and are not drawn.</p>')
    out.append("</section>")
    return out


def _buckets(hours: Sequence[Mapping[str, Any]], names: Sequence[str]) -> tuple[list[tuple[int, list[int]]], str]:
    """(start hour, counts per verdict) for every hour (or day) from the first to the last, gaps as zeros."""
    by_hour = {int(h["hour_index"]): [int(h.get(n, 0)) for n in names] for h in hours}
    first, last = min(by_hour), max(by_hour)
    if last - first < _MAX_BARS:
        return [(hour, by_hour.get(hour, [0] * len(names))) for hour in range(first, last + 1)], "hour"
    days: dict[int, list[int]] = {}
    for hour, counts in by_hour.items():
        day = days.setdefault(hour // 24 * 24, [0] * len(names))
        for i, count in enumerate(counts):
            day[i] += count
    first, last = min(days), max(days)
    if (last - first) // 24 < _MAX_BARS:
        return [(day, days.get(day, [0] * len(names))) for day in range(first, last + 1, 24)], "day"
    return sorted(days.items()), "day"


def _when(hour: int, unit: str) -> str:
    moment = datetime.fromtimestamp(hour * 3600, timezone.utc)
    return moment.strftime("%d %b %Y") if unit == "day" else moment.strftime("%d %b %H:00")


def _top_table(title: str, rows: Sequence[Mapping[str, Any]], *, bars: bool) -> list[str]:
    out = [f"<section><h2>{html.escape(title)}</h2>"]
    if not rows:
        return [*out, '<p class="note">None.</p></section>']
    peak = max(int(row["count"]) for row in rows) or 1
    out.append("<table><tr><th>requests</th><th>User-Agent</th><th>verdict</th><th>rule</th><th>category</th></tr>")
    for row in rows:
        count = f"{row['count']:,}" + (f" ±{row['error']:,}" if row.get("error") else "")
        bar = f'<div class="bar" style="width:{100 * row["count"] / peak:.1f}%"></div>' if bars else ""
        rule = "-" if row.get("rule") in (None, "-") else row["rule"]
        pattern = row.get("pattern")
        rule_cell = f"<code>{_text(rule, 40)}</code>" + (f"<br><code>{_pattern(pattern)}</code>" if pattern else "")
        out.append(
            f'<tr><td class="n">{count}{bar}</td><td class="ua">{_text(row["user_agent"])}</td>'
            f'<td>{_badge(str(row["verdict"]))}</td><td>{rule_cell}</td><td>{_text(row.get("category") or "-", 40)}</td></tr>'
        )
    out.append("</table></section>")
    return out


def _categories(report: Mapping[str, Any]) -> list[str]:
    categories: Mapping[str, int] = report["categories"]
    out = ["<section><h2>Categories of the built-in rules that matched</h2>"]
    if not categories:
        return [*out, '<p class="note">No built-in rule matched.</p></section>']
    peak = max(categories.values()) or 1
    row_h, label_w, width = 24, 120, 980
    height = row_h * len(categories) + 6
    svg = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="requests per category">']
    for i, (name, count) in enumerate(categories.items()):
        y = 3 + i * row_h
        w = (width - label_w - 120) * count / peak
        blocked = report["blocked_categories"].get(name, 0)
        svg.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{_text(name, 30)}</text>')
        svg.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 8}" rx="3" '
            f'fill="{COLOURS["BOT"] if blocked else COLOURS["NONE"]}"><title>{_text(name, 30)}: {count:,}</title></rect>'
        )
        svg.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{count:,} ({_share(count, report["requests"])})</text>')
    svg.append("</svg>")
    out.append("".join(svg))
    out.append(
        '<p class="note">Red: blocked by the rules in force; blue: matched, but admitted (by '
        "<code>allow_categories</code>, or an <code>allow</code> rule).</p></section>"
    )
    return out


def _what_if(report: Mapping[str, Any]) -> list[str]:
    what_if = report["what_if"]
    total = int(report["requests"])
    out = ["<section><h2>What a setting would change</h2>"]
    rows = what_if["allow_categories"]
    out.append("<h3>allow_categories</h3>")
    if rows:
        out.append(
            "<table><tr><th>category</th><th>blocked requests</th><th>of all requests</th><th>with it in allow_categories</th></tr>"
        )
        for row in rows:
            out.append(
                f'<tr><td><code>{_text(row["category"], 30)}</code></td><td class="n">{row["requests"]:,}</td>'
                f'<td class="n">{_share(row["requests"], total)}</td>'
                f'<td><code>allow_categories = ["{_text(row["category"], 30)}"]</code> would let '
                f'{_requests(row["requests"])} through</td></tr>'
            )
        out.append("</table>")
    else:
        out.append('<p class="note">No request was blocked by a categorised built-in rule: allow_categories would change nothing.</p>')
    out.append("<h3>check_headers</h3>")
    headers = what_if["check_headers"]
    state = (
        "<code>check_headers</code> is on in this config: each of them is checked"
        if headers["enabled"]
        else "With <code>check_headers=True</code> each of them is checked"
    )
    out.append(
        f'<p>{_requests(headers["requests"])} ({_share(headers["requests"], total)}) passed the rules claiming a '
        "mainstream browser whose every request carries headers a script seldom copies (Fetch Metadata, client "
        f"hints). {state}, and one that lacks those headers is answered <code>FORGED</code>. An access log does "
        "not record those headers, so this report cannot say how many of them would fail: run with "
        "<code>monitor=True</code> to count them.</p>"
    )
    if headers["browsers"]:
        out.append("<table><tr><th>claimed browser</th><th>requests</th></tr>")
        for label, count in headers["browsers"].items():
            out.append(f'<tr><td>{_text(label, 60)}</td><td class="n">{count:,}</td></tr>')
        out.append("</table>")
    out.append("</section>")
    return out
