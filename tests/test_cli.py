"""The `curate` command line: validate, stages, usage errors, progress output."""

from __future__ import annotations

import io

from curation.cli import main as curate
from curation.report.progress import LogProgress, RichProgress, progress_for
from tests.helpers import docs, write_jsonl


def test_validate_accepts_a_good_recipe_and_rejects_a_bad_one(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text("name: ok\nstages: [GopherRepetitionFilter]\n")
    assert curate(["validate", str(good)]) == 0
    assert "valid recipe 'ok'" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages:\n  - stage: GopherQualityFilter\n    params: {max_doc_words: many}\n")
    assert curate(["validate", str(bad)]) == 2
    assert f"{bad}: stages[0].params.max_doc_words:" in capsys.readouterr().err


def test_stages_lists_datatrove_steps(capsys):
    assert curate(["stages"]) == 0
    listing = capsys.readouterr().out
    for name in ("GopherQualityFilter", "C4QualityFilter", "FineWebQualityFilter", "PIIFormatter"):
        assert name in listing


def test_run_usage_errors_exit_2_with_a_message(tmp_path, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("stages: []\n")
    assert curate(["run", str(recipe), "-o", str(tmp_path / "out")]) == 2
    assert "no input directory" in capsys.readouterr().err
    assert curate(["run", str(recipe), "-i", str(tmp_path / "missing"), "-o", str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_format_flag_switches_output_to_jsonl(tmp_path):
    write_jsonl(tmp_path / "in" / "a.jsonl", docs(3))
    recipe = tmp_path / "r.yaml"
    recipe.write_text("stages: []\n")
    code = curate(
        [
            "run",
            str(recipe),
            "-i",
            str(tmp_path / "in"),
            "-o",
            str(tmp_path / "out"),
            "-q",
            "-w",
            "1",
            "--format",
            "jsonl",
        ]
    )
    assert code == 0 and (tmp_path / "out" / "a.jsonl.gz").is_file()


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(progress_for("auto", Terminal()), RichProgress)
    assert isinstance(progress_for("auto", io.StringIO()), LogProgress)

    stream = Terminal()
    bar = RichProgress(stream)
    bar.phase("shards", 4, 1)
    bar.documents(1200)
    bar.finished(True)
    bar.close()
    rendered = stream.getvalue()
    assert "2/4" in rendered and "docs/s" in rendered and "1,200" in rendered

    lines = io.StringIO()
    log = LogProgress(lines, interval=0)
    log.phase("shards", 3, 0)
    log.documents(10)
    log.finished(False)
    log.close()
    assert "[curate] shards 1/3, 1 failed, 10 docs" in lines.getvalue()
