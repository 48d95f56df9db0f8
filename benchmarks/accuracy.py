"""Recall on bots and false positives on people, per source, for botguard and its peers in one run.

    python benchmarks/accuracy.py [DATA_DIR] [--markdown] [--misses NAME]

Arguments:
    DATA_DIR: the labelled corpus (`ua-bots.tsv`, `ua-humans.tsv`); default `../shared/data/`
        relative to the project.
    --markdown: print the tables as Markdown (as in the README).
    --misses NAME: also print what detector NAME gets wrong (bots missed, people flagged).

A row's `source` lists every collection that labels the string, so a string counts in each of
them. Sources marked `*` were used to write botguard's default list (crawler-user-agents'
patterns come with its `instances`; isbot's with its fixtures): scores there are not evidence.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._peers import DEFAULT_DATA, all_detectors, load_corpus  # noqa: E402

USED_TO_WRITE = ("isbot/", "monperrus/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--misses", metavar="NAME")
    args = parser.parse_args(argv)
    bots, humans = load_corpus(args.data)
    detectors, missing = all_detectors()
    for name, why in missing.items():
        print(f"skipped {name}: {why}", file=sys.stderr)
    names = list(detectors)
    verdicts = {}
    for name, detect in detectors.items():
        verdicts[name] = (detect([ua for _, ua in bots]), detect([ua for _, ua in humans]))

    def table(title: str, rows: list[tuple[list[str], str]], which: int, good: bool) -> None:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, (sources, _) in enumerate(rows):
            groups["all"].append(i)
            for source in sources:
                groups[source].append(i)
        order = ["all", *sorted((s for s in groups if s != "all"), key=lambda s: -len(groups[s]))]
        head = ["source", "n", *names]
        lines = []
        for source in order:
            members = groups[source]
            if len(members) < 5 and source != "all":
                continue
            label = source + (" *" if source.startswith(USED_TO_WRITE) else "")
            cells = [label, str(len(members))]
            for name in names:
                flagged = sum(verdicts[name][which][i] for i in members)
                share = flagged / len(members)
                cells.append(f"{100 * share:.1f}%" if good else f"{100 * share:.2f}% ({flagged})")
            lines.append(cells)
        print(f"\n{title}")
        if args.markdown:
            print("| " + " | ".join(head) + " |")
            print("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
            for cells in lines:
                print("| " + " | ".join(cells) + " |")
        else:
            widths = [max(len(r[c]) for r in [head, *lines]) for c in range(len(head))]
            for cells in [head, *lines]:
                print("  ".join(cell.ljust(w) if c == 0 else cell.rjust(w) for c, (cell, w) in enumerate(zip(cells, widths))))

    table("Recall on bots (share flagged), per source:", bots, 0, True)
    table("People flagged (false positives), per source:", humans, 1, False)
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
