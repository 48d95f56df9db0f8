"""Podcast traffic, held out: the Open Podcast Analytics Working Group's examples in the corpus's
shape, and what botguard's settings refuse of them.

    python benchmarks/opawg.py SRC OUT

Arguments:
    SRC: the `build/` folder of a checkout of https://github.com/opawg/user-agents-v2 (MIT
        licence), which holds `apps.examples.json`, `devices.examples.json`,
        `browsers.examples.json` and `bots.examples.json`: the User-Agents podcast hosts see, by
        the app, device or bot that sends them.
    OUT: a folder to write `ua-humans.tsv` (apps, devices and browsers, as people) and
        `ua-bots.tsv` (bots) into, for `benchmarks/accuracy.py OUT --no-loco`.

Then it prints, as Markdown, the share of each file's strings that a few settings a podcast site
might choose refuse. The data is not in this repository and botguard is never trained or tuned
on it: it is a test of traffic the detector never saw, and stays one only while that holds.
`libraries.examples.json` is left out: the HTTP libraries that podcast apps and servers both
use (`okhttp`, `Go-http-client`, `python-requests`), which botguard calls `library` bots by design.
OPAWG's labels are its own: an "app" is any client that downloads episodes, feed readers and
services that fetch on a listener's behalf among them, which botguard files under `feed` or
`preview`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from botguard import Config, classify  # noqa: E402

# OPAWG's file -> the corpus's label; each string's source is "opawg/<file>".
FILES = {"apps": "humans", "devices": "humans", "browsers": "humans", "bots": "bots"}

SETTINGS = {
    "default": Config(),
    'allow_categories=["feed"]': Config(allow_categories=["feed"]),
    'allow_categories=["feed", "other"]': Config(allow_categories=["feed", "other"]),
    'builtin="kong"': Config(builtin="kong"),
}


def examples(src: Path) -> dict[str, list[str]]:
    """Every example string of each file in `FILES`, in order, each once, as one line (a tab or a
    line break inside one, which no header can carry, read as a space)."""
    found: dict[str, list[str]] = {}
    for name in FILES:
        entries = json.loads((src / f"{name}.examples.json").read_text("utf-8"))["entries"]
        strings = (ua.replace("\t", " ").replace("\r", " ").replace("\n", " ") for e in entries for ua in e["examples"])
        found[name] = list(dict.fromkeys(ua for ua in strings if ua.strip()))
    return found


def write(found: dict[str, list[str]], out: Path) -> None:
    """The corpus's files in `out`: header `source<TAB>user_agent`, each string once per label,
    its source every file that lists it ("opawg/apps,opawg/devices")."""
    out.mkdir(parents=True, exist_ok=True)
    for label in ("bots", "humans"):
        sources: dict[str, list[str]] = {}
        for name, strings in found.items():
            if FILES[name] == label:
                for ua in strings:
                    sources.setdefault(ua, []).append(f"opawg/{name}")
        rows = "".join(f"{','.join(where)}\t{ua}\n" for ua, where in sources.items())
        (out / f"ua-{label}.tsv").write_text("source\tuser_agent\n" + rows, encoding="utf-8")


def refused(strings: list[str], config: Config) -> int:
    """How many of `strings` `config` refuses."""
    return sum(classify(ua, config).blocked for ua in strings)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        found = examples(Path(argv[0]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"{argv[0]}: not the build/ folder of opawg/user-agents-v2 ({error!r})", file=sys.stderr)
        return 1
    write(found, Path(argv[1]))
    names = list(FILES)
    print("| setting | " + " | ".join(f"{n} ({len(found[n])})" for n in names) + " |")
    print("|---|" + "---:|" * len(names))
    for label, config in SETTINGS.items():
        cells = []
        for name in names:
            count = refused(found[name], config)
            cells.append(f"{100 * count / max(len(found[name]), 1):.1f}% ({count})")
        print(f"| `{label}` | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
