"""Reading JSON shards of every shape in linear time: JSON Lines, one JSON array on one line, a pretty-printed array.

    PYTHONPATH=. python benchmarks/json_input.py [--sizes 20 200] [--repeats 1]

For each size (MB) and shape, a file of ~1 kB documents is generated and read by:

- curation: ``JsonlShardReader.iter_records`` (documents built, positions kept, quarantine on bad records);
- peers: ``orjson.loads`` of the whole file (the fastest parser, but the whole file and all its objects in
  memory at once), and ijson's ``items`` alone (streaming, objects only, no documents);
- datatrove's ``JsonlReader`` on the JSON Lines shape (it reads line by line; an array is one line to it).

Seconds and MB/s are printed for each; linear reading shows as a time ratio near the size ratio (10x for 20
MB vs 200 MB). Run with ``PYTHONPATH`` at an older checkout to see how its reader scaled: a file without a
newline used to be split in time quadratic in its size.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if not os.environ.get("PYTHONPATH"):  # this checkout, unless PYTHONPATH names the one to measure
    sys.path.insert(0, str(REPO_ROOT))

WORDS = "river mountain village harbour engine garden library market teacher doctor farmer painter".split()


def make_records(megabytes: int) -> list[dict]:
    records, size, index = [], 0, 0
    while size < megabytes * 1_000_000:
        text = " ".join(WORDS[(index + k) % len(WORDS)] for k in range(150))
        record = {"id": f"d{index}", "text": text, "meta": {"n": index, "tags": ["a", "b"]}}
        records.append(record)
        size += len(text) + 60
        index += 1
    return records


def write_shapes(folder: Path, megabytes: int) -> dict[str, Path]:
    records = make_records(megabytes)
    shapes = {
        "json lines": (folder / f"lines-{megabytes}.jsonl", "\n".join(json.dumps(r) for r in records) + "\n"),
        "array, one line": (folder / f"array-{megabytes}.json", json.dumps(records)),
        "array, pretty": (folder / f"pretty-{megabytes}.json", json.dumps(records, indent=2)),
    }
    for path, content in shapes.values():
        path.write_text(content)
    return {shape: path for shape, (path, _) in shapes.items()}


def curation_reader(path: Path) -> int:
    from curation.io.readers import JsonlShardReader

    reader = JsonlShardReader(str(path.parent))
    return sum(1 for record in reader.iter_records(path.name) if hasattr(record, "text"))


def orjson_whole_file(path: Path) -> int:
    import orjson

    data = path.read_bytes()
    if data.lstrip()[:1] == b"[":
        return len(orjson.loads(data))
    return sum(1 for line in data.splitlines() if line.strip() and orjson.loads(line))


def ijson_items(path: Path) -> int:
    import ijson

    with path.open("rb") as handle:
        if handle.read(1) != b"[":
            return -1
        handle.seek(0)
        return sum(1 for _ in ijson.items(handle, "item"))


def datatrove_jsonl(path: Path) -> int:
    from datatrove.pipeline.readers import JsonlReader

    if path.suffix != ".jsonl":
        return -1
    reader = JsonlReader(str(path.parent), glob_pattern=path.name)
    return sum(1 for _ in reader.read_file(path.name))


READERS: dict[str, Callable[[Path], int]] = {
    "curation": curation_reader,
    "orjson, whole file": orjson_whole_file,
    "ijson items": ijson_items,
    "datatrove JsonlReader": datatrove_jsonl,
}


def best_seconds(function: Callable[[Path], int], path: Path, repeats: int) -> tuple[float, int]:
    best, count = float("inf"), 0
    for _ in range(repeats):
        started = time.perf_counter()
        count = function(path)
        best = min(best, time.perf_counter() - started)
    return best, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200], help="file sizes in MB")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--readers", nargs="+", default=list(READERS), choices=list(READERS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        timings: dict[tuple[str, str], dict[int, float]] = {}
        print("| shape | reader | " + " | ".join(f"{size} MB: s (MB/s)" for size in args.sizes) + " | ratio |")
        print("|" + "---|" * (3 + len(args.sizes)))
        files = {size: write_shapes(folder, size) for size in args.sizes}
        warm_up = write_shapes(folder / "warm-up", 0) if (folder / "warm-up").mkdir() is None else {}
        for name in args.readers:  # imports and first-call costs out of the timings
            for path in warm_up.values():
                READERS[name](path)
        for shape in files[args.sizes[0]]:
            for name in args.readers:
                cells = []
                for size in args.sizes:
                    path = files[size][shape]
                    seconds, count = best_seconds(READERS[name], path, args.repeats)
                    if count < 0:
                        cells.append("–")
                        continue
                    timings.setdefault((shape, name), {})[size] = seconds
                    megabytes = path.stat().st_size / 1e6
                    cells.append(f"{seconds:.2f} ({megabytes / seconds:,.0f}); {count:,} docs")
                measured = timings.get((shape, name), {})
                ratio = (
                    f"{measured[args.sizes[-1]] / measured[args.sizes[0]]:.1f}x"
                    if len(measured) == len(args.sizes) and len(args.sizes) > 1
                    else "–"
                )
                print(f"| {shape} | {name} | " + " | ".join(cells) + f" | {ratio} |")


if __name__ == "__main__":
    main()
