"""A crash in the middle of committing a routed shard: the next run removes the half-moved files, and the
files of the commit being replaced, so no file stays visible that no completion marker vouches for."""

from __future__ import annotations

from pathlib import Path

import pytest
from datatrove.io import get_datafolder

from curation.io.layout import OutputLayout

ROUTED = ["science/part-00.parquet", "sports/part-00.parquet", "other/part-00.parquet"]


class Died(BaseException):
    """Stands for the process dying: nothing after it runs (BaseException, so no handler catches it)."""


def stage_files(layout: OutputLayout, contents: str) -> str:
    staging = layout.new_staging()
    for relative in ROUTED:
        target = Path(layout.folder.path, staging, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"{contents}:{relative}")
    return staging


def die_after_moves(layout: OutputLayout, monkeypatch, moves: int) -> None:
    real_mv = layout.folder.mv
    done = []

    def mv(source, target, *args, **kwargs):
        if not str(target).startswith("_markers"):  # a data file moving into place, not the journal
            if len(done) == moves:
                raise Died
            done.append(target)
        return real_mv(source, target, *args, **kwargs)

    monkeypatch.setattr(layout.folder, "mv", mv)


def visible(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(("_", ".")) for part in p.relative_to(root).parts)
    }


@pytest.mark.parametrize("moves", [0, 1, 2])
def test_a_crash_midway_through_a_commit_leaves_nothing_visible_after_recovery(tmp_path, monkeypatch, moves):
    layout = OutputLayout(get_datafolder(str(tmp_path)))
    staging = stage_files(layout, "first")
    die_after_moves(layout, monkeypatch, moves)
    with pytest.raises(Died):
        layout.commit("part-00", staging, ROUTED, {"result": {}})
    assert len(visible(tmp_path)) == moves  # the half-committed state a kill would leave
    assert not layout.is_complete("part-00")

    monkeypatch.undo()  # the "next run": a new process with the real rename
    rerun = OutputLayout(get_datafolder(str(tmp_path)))
    assert rerun.recover() == ["part-00"]
    assert visible(tmp_path) == set()
    assert rerun.completed_stems() == set()
    assert not (tmp_path / ".staging").exists()

    rerun.commit("part-00", stage_files(rerun, "second"), ROUTED, {"result": {}})
    assert visible(tmp_path) == set(ROUTED)
    assert {(tmp_path / r).read_text() for r in ROUTED} == {f"second:{r}" for r in ROUTED}
    assert rerun.completed_stems() == {"part-00"}


def test_a_crash_while_redoing_a_complete_shard_reads_as_not_complete(tmp_path, monkeypatch):
    """--force over a committed shard: once the new commit has started, the old marker must not vouch for a
    mix of old and new files."""
    layout = OutputLayout(get_datafolder(str(tmp_path)))
    layout.commit("part-00", stage_files(layout, "old"), ROUTED, {"result": {}})
    die_after_moves(layout, monkeypatch, 1)
    with pytest.raises(Died):
        layout.commit("part-00", stage_files(layout, "new"), ROUTED[:2], {"result": {}})
    assert not layout.is_complete("part-00")

    monkeypatch.undo()  # the "next run": a new process with the real rename
    rerun = OutputLayout(get_datafolder(str(tmp_path)))
    assert rerun.recover() == ["part-00"]
    assert not rerun.is_complete("part-00")
    # neither the half-moved new files nor the old commit's files (no marker vouches for them) stay visible;
    # an old routed file the new commit does not write would otherwise hold stale or duplicate rows
    assert visible(tmp_path) == set()
    rerun.commit("part-00", stage_files(rerun, "again"), ROUTED[:2], {"result": {}})
    assert visible(tmp_path) == set(ROUTED[:2])
    assert {(tmp_path / r).read_text() for r in ROUTED[:2]} == {f"again:{r}" for r in ROUTED[:2]}
