"""Charset decisions: curation's decoder now and before, against charset-normalizer, cchardet and chardetng alone.

    python benchmarks/charset.py [--before 847f918] 2>/dev/null

Three sets, one run:

1. ``../shared/data/encodings`` (425 real pages and feeds in 50+ encodings; the folder, ``encoding[-language]``,
   names the charset). Per decoder: share decoded at all, share without U+FFFD, and share decoded with the right
   charset: the text equals the bytes decoded with the folder's codec, so an equivalent superset (cp1252 for an
   ``iso-8859-1`` page, cp949 for ``EUC-KR``) counts as right. The ``UTF-16``/``UTF-32`` folders hold files with
   a BOM in either byte order, so their reference is Python's BOM-reading codec.
2. Real sentences in their languages' legacy web encodings: ``../shared/data/langid/sentences`` joined into pages
   of 1, 3 and 20 sentences (the sentences a codec cannot encode are left out) and encoded with windows-1252
   (25 Western languages), windows-1250 and ISO-8859-2 (8 Central-European languages), windows-1254, -1257,
   -1251, KOI8-R, -1253, -1255, -1256, windows-874, Shift_JIS, EUC-JP, GB2312, EUC-KR and UTF-8. Right = the
   decoded text is the original text. No declaration: this is the detector's part.
3. The header-versus-body case: the UTF-8 pages of set 2 behind an HTTP header naming a legacy charset
   (ISO-8859-1, ISO-8859-9, windows-1251, Shift_JIS), as mislabelled servers send them. Right = the UTF-8 text.

Decoders: curation now (``decode_page``); curation before (the same module at the git revision ``--before``,
read with ``git show``); cchardet, charset-normalizer and chardetng-py alone (their guess, decoded strictly; the
header, where there is one, is ignored by them as by any detector); datatrove's ``WarcReader`` (UTF-8, else
cchardet).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared" / "data"
sys.path.insert(0, str(REPO_ROOT))

from curation.extract.charset import codec_for_label  # noqa: E402

LANGUAGE_SUFFIXES = (
    "arabic", "bulgarian", "croatian", "czech", "greek", "hebrew", "hungarian", "polish", "romanian", "russian",
    "slovak", "slovene", "turkish",
)  # fmt: skip
NATIVE_ENCODINGS = {
    "windows-1252": "af ca da de en es et eu fi fr ga id is it la ms nb nl nn pt so sq sv sw tl",
    "windows-1250": "bs cs hr hu pl ro sk sl",
    "iso-8859-2": "bs cs hr hu pl ro sk sl",
    "windows-1254": "tr",
    "windows-1257": "lt lv",
    "windows-1251": "be bg mk ru sr uk",
    "koi8-r": "ru",
    "windows-1253": "el",
    "windows-1255": "he",
    "windows-1256": "ar fa",
    "windows-874": "th",
    "shift_jis": "ja",
    "euc-jp": "ja",
    "gb2312": "zh",
    "euc-kr": "ko",
    "utf-8": "cs de el fr ja pl ru tr zh",
}
PAGE_SIZES = (1, 3, 20)
PAGES_PER_LANGUAGE = 10
MISLABELS = ("iso-8859-1", "iso-8859-9", "windows-1251", "shift_jis")

Decoder = Callable[[bytes, str | None], str | None]


def strict(payload: bytes, label: str | None) -> str | None:
    codec = codec_for_label(label)
    try:
        return payload.decode(codec) if codec else None
    except (UnicodeDecodeError, LookupError):
        return None


def decoders(before_revision: str | None) -> dict[str, Decoder]:
    import cchardet
    import charset_normalizer
    from chardetng_py import detect as chardetng_detect

    def ours(module) -> Decoder:
        def decode(payload: bytes, header: str | None) -> str | None:
            page = module.decode_page(payload, header)
            return page.text if page else None

        return decode

    def datatrove(payload: bytes, header: str | None) -> str | None:
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            guess = cchardet.detect(payload)["encoding"]
            return None if not guess or guess.lower() == "utf-8" else strict(payload, guess)

    def normalizer(payload: bytes, header: str | None) -> str | None:
        best = charset_normalizer.from_bytes(payload).best()
        return strict(payload, best.encoding) if best else None

    rows: dict[str, Decoder] = {"curation now": ours(sys.modules["curation.extract.charset"])}
    before = load_before(before_revision) if before_revision else None
    if before is not None:
        rows[f"curation before ({before_revision})"] = ours(before)
    rows |= {
        "cchardet alone": lambda payload, header: strict(payload, cchardet.detect(payload)["encoding"]),
        "charset-normalizer alone": normalizer,
        "chardetng-py alone": lambda payload, header: strict(payload, chardetng_detect(payload, allow_utf8=True)),
        "datatrove WarcReader (UTF-8, else cchardet)": datatrove,
    }
    return rows


def load_before(revision: str):
    """``curation/extract/charset.py`` as it was at ``revision`` (None, with a note, when git cannot show it)."""
    try:
        source = subprocess.run(
            ["git", "show", f"{revision}:curation/extract/charset.py"],
            cwd=REPO_ROOT,
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"(no 'before' row: git cannot show {revision}: {error})\n")
        return None
    path = Path(tempfile.mkdtemp()) / "charset_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("charset_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def folder_reference(folder: str, payload: bytes) -> str | None:
    """The text of a file of ``encodings/<folder>``: its bytes decoded with the folder's charset."""
    name = folder
    for language in LANGUAGE_SUFFIXES:
        name = name.removesuffix(f"-{language}")
    codec = name.lower() if name.lower() in ("utf-16", "utf-32") else codec_for_label(name)
    if codec is None:
        return None  # EUC-TW: Python has no codec for it, so no decoder here can be right
    return payload.decode(codec, "replace").lstrip("\ufeff")


def real_pages() -> list[tuple[bytes, str | None, str | None]]:
    root = SHARED / "encodings"
    pages = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            payload = path.read_bytes()
            pages.append((payload, None, folder_reference(folder.name, payload)))
    return pages


def sentence_pages() -> dict[str, list[tuple[bytes, str | None, str]]]:
    """Set 2, by encoding: (bytes, no header, original text)."""
    sets: dict[str, list[tuple[bytes, str | None, str]]] = {}
    for label, languages in NATIVE_ENCODINGS.items():
        codec = label.replace("windows-", "cp")
        pages = []
        for language in languages.split():
            lines = (SHARED / "langid" / "sentences" / f"{language}.txt").read_text().splitlines()
            encodable = [line for line in lines if line.strip() and _encodes(line, codec)]
            for size in PAGE_SIZES:
                chunks = [encodable[i : i + size] for i in range(0, size * PAGES_PER_LANGUAGE, size)]
                texts = [" ".join(chunk) for chunk in chunks if len(chunk) == size]
                pages += [(text.encode(codec), None, text) for text in texts if not text.isascii()]
        sets[label] = pages
    return sets


def mislabelled_pages(utf8_pages: list[tuple[bytes, str | None, str]]) -> list[tuple[bytes, str | None, str]]:
    return [(payload, label, text) for label in MISLABELS for payload, _, text in utf8_pages]


def _encodes(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def score(decode: Decoder, pages: list[tuple[bytes, str | None, str | None]]) -> tuple[int, int, int, float]:
    """(decoded, without U+FFFD, right, seconds)."""
    decoded = clean = right = 0
    started = time.perf_counter()
    outputs = [decode(payload, header) for payload, header, _ in pages]
    elapsed = time.perf_counter() - started
    for text, (_, _, reference) in zip(outputs, pages, strict=True):
        if text is None:
            continue
        decoded += 1
        clean += "\ufffd" not in text
        right += reference is not None and text == reference
    return decoded, clean, right, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="847f918", help="git revision of the decoder to compare against")
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"real data not found at {SHARED}")
    rows = decoders(args.before)

    pages = real_pages()
    print(f"## 1. {len(pages)} real pages and feeds in ../shared/data/encodings\n")
    print("| decoder | decoded | no U+FFFD | right charset | ms/page |")
    print("|---|---:|---:|---:|---:|")
    for name, decode in rows.items():
        decoded, clean, right, elapsed = score(decode, pages)
        n = len(pages)
        print(
            f"| {name} | {decoded / n:.1%} | {clean / n:.1%} | {right}/{n} = {right / n:.1%} "
            f"| {elapsed / n * 1000:.2f} |"
        )

    sets = sentence_pages()
    total = sum(len(p) for p in sets.values())
    print(f"\n## 2. {total} pages of real sentences in their legacy encodings, no declaration: right text\n")
    print("| encoding | pages | " + " | ".join(rows) + " |")
    print("|---|---:|" + "---:|" * len(rows))
    sums = dict.fromkeys(rows, 0)
    for label, encoded in sets.items():
        cells = []
        for name, decode in rows.items():
            right = score(decode, encoded)[2]
            sums[name] += right
            cells.append(f"{right / len(encoded):.0%}")
        print(f"| {label} | {len(encoded)} | " + " | ".join(cells) + " |")
    print(f"| **all** | {total} | " + " | ".join(f"**{sums[name] / total:.1%}**" for name in rows) + " |")

    mislabelled = mislabelled_pages(sets["utf-8"])
    print(f"\n## 3. {len(mislabelled)} UTF-8 pages behind a header naming {', '.join(MISLABELS)}: right text\n")
    print("| decoder | right |")
    print("|---|---:|")
    for name, decode in rows.items():
        right = score(decode, mislabelled)[2]
        print(f"| {name} | {right}/{len(mislabelled)} = {right / len(mislabelled):.1%} |")


if __name__ == "__main__":
    main()
