"""Build the default detector's model (`botguard/rules/detector_model.json`) from the labelled corpus.

    python scripts/build_detector.py [DATA_DIR] [--check]

Arguments:
    DATA_DIR: the labelled corpus (`ua-*.tsv` or `ua-*.tsv.gz`); default `benchmarks/data/`, the copy
        shipped with the project.
    --check: build, compare with the shipped model, and exit 1 if they differ by more than the
        rounding of a weight (`differences`; writes nothing).

The model is a logistic regression without intercept over the features of
`botguard._features.text_features`: the words of each User-Agent with their affixes, the first
rule of the public lists that matches, the shape of the string, and the words the model does not
know by where they stand. A word is known when it is in at least `MIN_COUNT` training rows; the
rarer ones are what teaches the model how much an unknown word weighs. Bots and people weigh the
same in total.
It is fitted by full-batch Adam with L2 regularisation for a fixed number of steps from zero,
then weights are rounded: the same corpus always gives the same file. Needs numpy (the `dev`
extra); the package does not.

The two thresholds are constants on the model's log-odds, not fitted: with a rule, the sum must
reach `THRESHOLD_RULE` (the rule's own weight counts, so a rule decides unless the words speak
against it), plus its list's margin in `RULE_MARGINS`; words alone must reach `THRESHOLD_WORDS`,
less `NAME_MARGIN` for a string with no version and no comment.
A threshold fitted to the training rows would be worthless: the model separates the rows it was
fitted on almost perfectly, so the people's scores there say nothing about people it has not
seen. The constants were chosen once, looking at the leave-one-collection-out results of a few
candidates (`benchmarks/accuracy.py`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._peers import DEFAULT_DATA, load_corpus  # noqa: E402
from botguard._detector import MODEL_FILE  # noqa: E402
from botguard._features import text_features, word_features, words_of  # noqa: E402
from botguard._patterns import normalize_user_agent  # noqa: E402
from botguard._rulesets import Rule, certain_rules, default_rules, list_engine  # noqa: E402

MODEL_PATH = ROOT / "botguard" / "rules" / MODEL_FILE
STEPS = 150
LEARNING_RATE = 0.05
L2 = 1e-5
MIN_COUNT = 2  # features in fewer training rows are left out
DIGITS = 3  # weights are rounded to this many decimals; smaller ones are dropped
THRESHOLD_RULE = 1.0
THRESHOLD_WORDS = 3.5
# What a list's rule must reach above THRESHOLD_RULE. Crawler-Detect writes its patterns to run
# after its exclusions have deleted a browser's own tokens; botguard runs them on the whole string.
RULE_MARGINS = {"crawlerdetect": 0.75}
# What a string with no version and no comment (`is_versionless`: `ManageWP`, `Amazon CloudFront`)
# is spared of THRESHOLD_WORDS without a rule: people's software names its version.
NAME_MARGIN = 0.75

Features = list[list[str]]


Prepared = list[tuple[str, Rule | None]]


def prepare(user_agents: Sequence[str], rules: tuple[Rule, ...] | None = None) -> Prepared:
    """Each User-Agent normalized as the detector sees it, with the first public-list rule it weighs in it."""
    rules = default_rules() if rules is None else rules
    engine = list_engine(rules)
    certain = certain_rules()
    found: Prepared = []
    for ua in user_agents:
        text = normalize_user_agent(ua)
        rule = engine(text)
        if rule is not None and rule.index < certain:
            rule = None  # a named rule decides alone; it is not weighed
        found.append((text, rule))
    return found


def known_words(prepared: Sequence[tuple[str, Rule | None]]) -> set[bytes]:
    """The words (two letters or more) in at least `MIN_COUNT` rows: the words the model will know."""
    seen: Counter[bytes] = Counter()
    for text, _ in prepared:
        seen.update({word for word in words_of(text.lower()) if len(word) >= 2})
    return {word for word, count in seen.items() if count >= MIN_COUNT}


def featurize(prepared: Sequence[tuple[str, Rule | None]], known: set[bytes]) -> Features:
    """The features of each prepared User-Agent, as the detector sees them."""
    return [text_features(text, rule, known) for text, rule in prepared]


def fit(features: Features, labels: Sequence[int], known: set[bytes]) -> dict[str, Any]:
    """A model (weights and thresholds) from featurized rows, their labels (1 bot, 0 person) and
    the words they know."""
    import numpy as np

    seen: Counter[str] = Counter()
    for row in features:
        seen.update(set(row))
    vocabulary = sorted(feature for feature, count in seen.items() if count >= MIN_COUNT)
    index = {feature: i for i, feature in enumerate(vocabulary)}
    row_of: list[int] = []
    column: list[int] = []
    for i, row in enumerate(features):
        for feature in row:
            j = index.get(feature)
            if j is not None:
                row_of.append(i)
                column.append(j)
    rows = np.asarray(row_of, dtype=np.int64)
    cols = np.asarray(column, dtype=np.int64)
    y = np.asarray(labels, dtype=np.float64)
    n = len(y)
    bots = y.sum()
    # Bots and people weigh the same in total.
    sample = np.where(y == 1.0, 0.5 / bots, 0.5 / (n - bots))
    w = np.zeros(len(vocabulary))
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    beta1, beta2 = 0.9, 0.999
    for step in range(1, STEPS + 1):
        margin = np.bincount(rows, weights=w[cols], minlength=n)
        p = 1.0 / (1.0 + np.exp(-margin))
        residual = (p - y) * sample
        grad = np.bincount(cols, weights=residual[rows], minlength=len(w)) + L2 * w
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        w -= LEARNING_RATE * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + 1e-8)
    w = np.round(w, DIGITS) + 0.0  # + 0.0: a weight rounded to -0.0 is written 0.0
    weights = {feature: float(w[j]) for j, feature in enumerate(vocabulary) if w[j] != 0.0}
    return {
        "about": "botguard's default detector, built by scripts/build_detector.py: the score of each known word "
        "(its own weight and its affixes'), the weights of affixes (for words never seen), of rules and of the "
        "string's shape (unknown words by place included), the two thresholds, the margin by which a list's rules "
        "must clear the rule threshold (rule_margins), and what a string with no version and no comment is spared "
        "of the words' threshold (name_margin)",
        "threshold_rule": THRESHOLD_RULE,
        "rule_margins": RULE_MARGINS,
        "name_margin": NAME_MARGIN,
        "threshold_words": THRESHOLD_WORDS,
        # Every known word, its score even when it is 0: a word missing here counts as unknown.
        "words": {
            word: round(sum(weights.get(f, 0.0) for f in word_features(word)), DIGITS) + 0.0
            for word in sorted(w.decode("ascii") for w in known)
        },
        "affixes": {feature: weight for feature, weight in weights.items() if feature[:2] in ("s:", "t:", "p:")},
        "rules": {feature: weight for feature, weight in weights.items() if feature[:2] in ("r:", "g:")},
        "shape": {feature: weight for feature, weight in weights.items() if feature[:2] in ("x:", "o:")},
    }


def build(data: Path) -> dict[str, Any]:
    """The model built from the corpus in `data`."""
    bots, humans = load_corpus(data)
    rows = [(ua, 1) for _, ua in bots] + [(ua, 0) for _, ua in humans]
    prepared = prepare([ua for ua, _ in rows])
    known = known_words(prepared)
    return fit(featurize(prepared, known), [label for _, label in rows], known)


def differences(built_text: str, shipped_text: str) -> list[str]:
    """Where two model files differ by more than the rounding (none when they are the same text):
    the thresholds, margins, known words and texts must be equal, each weight within one unit of
    its last decimal (a weight absent counts as 0). Another numpy, or another CPU's vectorised
    `exp`, can move a weight across a rounding boundary; nothing else can, so this still tells a
    rebuilt model from an edited one."""
    if built_text == shipped_text:
        return []
    built, shipped = json.loads(built_text), json.loads(shipped_text)
    keys = ("about", "threshold_rule", "threshold_words", "rule_margins", "name_margin")
    found = [key for key in keys if built.get(key) != shipped.get(key)]
    if set(built["words"]) != set(shipped["words"]):
        found.append("the known words")
    unit = 10.0**-DIGITS * 1.001
    for table in ("words", "affixes", "rules", "shape"):
        a, b = built[table], shipped[table]
        # A word's score sums up to four rounded weights (`word_features`): each may have moved.
        limit = unit * (4 if table == "words" else 1)
        found += [f"{table}[{key!r}]: {a.get(key, 0.0)} != {b.get(key, 0.0)}" for key in sorted(set(a) | set(b))
                  if abs(a.get(key, 0.0) - b.get(key, 0.0)) > limit]
    return found


def dumps(model: dict[str, Any]) -> str:
    """The model file's text: sorted keys, one weight a line, so diffs stay readable."""
    return json.dumps(model, indent=0, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = dumps(build(args.data))
    if args.check:
        shipped = MODEL_PATH.read_text("utf-8")
        found = differences(text, shipped)
        if found:
            print(f"{MODEL_PATH.name} differs from what the corpus builds: run scripts/build_detector.py", file=sys.stderr)
            print("\n".join(f"  {line}" for line in found[:20]), file=sys.stderr)
            return 1
        exact = "exactly" if shipped == text else "within the rounding"
        print(f"{MODEL_PATH.name} is what the corpus builds ({exact})")
        return 0
    MODEL_PATH.write_text(text, encoding="utf-8")
    model = json.loads(text)
    print(f"wrote {MODEL_PATH.name}: {len(model['words'])} words, {len(model['affixes'])} affixes, "
          f"{len(model['rules'])} rules, {len(model['shape'])} shape features, thresholds {model['threshold_rule']} "
          f"(with a rule) and {model['threshold_words']} (words alone)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
