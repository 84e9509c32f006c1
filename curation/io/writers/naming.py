"""Output file names from a template: safe on every filesystem, one shard per name, never the run's own files.

``output.filename`` is a ``string.Template`` over ``${shard}`` (the input shard's stem) and metadata fields
(``${domain}/${shard}`` routes documents by domain). Three properties are kept by construction:

1. **A routed name is a single safe path component.** Separators, control characters and characters Windows
   rejects are replaced; leading dots and underscores (hidden and bookkeeping names) and trailing dots and
   spaces (which Windows drops) are stripped; the label is put in Unicode NFC form. A label that is a
   Windows device name (``CON``, ``NUL``, ``COM1``, ``lpt9.txt`` ...), one of the run's own top-level names
   (``summary.json``, ``_markers`` ...), or that was not in NFC, gets a short hash of the original label
   after its first dot-free part (``aux.txt`` -> ``aux_1a2b3c4d5e.txt``), so it is safe and stays distinct
   from the label it would otherwise meet (``café`` in NFC and NFD become two names that no normalising
   filesystem merges). Long labels are cut and hashed too.
2. **A file name belongs to exactly one shard.** With ``${domain}_${shard}``, shard ``b_c`` routed to ``a``
   and shard ``c`` routed to ``a_b`` would both write ``a_b_c``. So the character that separates
   ``${shard}`` from the fields before it (here ``_``) never appears in those fields' values, and likewise for
   the character after ``${shard}``: the shard's part of any name can then be told apart by counting that
   character, and distinct shards (whose stems are distinct) never share a file. A field right beside
   ``${shard}``, or a letter or digit as the separator, cannot be made unambiguous and is refused when the
   recipe is validated (``check_filename_template``).
3. **No output path starts with a name the run writes itself** (``summary.json``, ``_markers``,
   ``_quarantine``, ``_work``, ``.staging``): literal path parts of a template may not start with ``_`` or
   ``.`` nor be such a name, and labels are made safe as above.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from string import Template
from typing import Any

from curation.io.layout import RUN_OWN_NAMES

MAX_COMPONENT_BYTES = 96
UNKNOWN_COMPONENT = "unknown"
SHARD_FIELD = "shard"
RANK_FIELD = "rank"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_FILLERS = "_-~+"
_DIGEST_CHARS = 10
_WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{port}{n}" for port in ("com", "lpt") for n in [*"0123456789", "¹", "²", "³"]]
)


def safe_path_component(value: Any, forbidden: str = "") -> str:
    """Turn any metadata value into one harmless path component (see the module docstring, point 1).

    ``forbidden`` lists characters that must not appear in the result either (the separator next to
    ``${shard}``); they are replaced like unsafe characters. Returns ``unknown`` for a missing value.
    """
    if value is None:
        return UNKNOWN_COMPONENT
    text = str(value)
    filler = next(char for char in _FILLERS if char not in forbidden)
    normal = unicodedata.normalize("NFC", text)
    cleaned = _UNSAFE.sub(filler, normal)
    if forbidden:
        cleaned = cleaned.translate({ord(char): filler for char in forbidden})
    cleaned = cleaned.strip().lstrip("._ ").rstrip(". ")
    if not cleaned:
        return UNKNOWN_COMPONENT
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:_DIGEST_CHARS]
    if normal != text or is_reserved_name(cleaned):
        # after the part before the first dot, which is what Windows compares with its device names
        base, dot, rest = cleaned.partition(".")
        cleaned = f"{base}{filler}{digest}{dot}{rest}"
    encoded = cleaned.encode("utf-8")
    if len(encoded) > MAX_COMPONENT_BYTES:
        head = encoded[: MAX_COMPONENT_BYTES - _DIGEST_CHARS - 1].decode("utf-8", "ignore")
        cleaned = f"{head}{filler}{digest}"
    return cleaned


def is_reserved_name(component: str) -> bool:
    """Whether ``component`` is a Windows device name (with any extension) or one of the run's own names."""
    folded = component.casefold()
    return folded in RUN_OWN_NAMES or folded.split(".", 1)[0].rstrip(" ") in _WINDOWS_DEVICES


def template_parts(template: str) -> list[tuple[str, str]]:
    """``template`` as ``("text", literal)`` and ``("field", name)`` items, in order (``$$`` is a literal ``$``)."""
    parts: list[tuple[str, str]] = []
    position = 0
    for match in Template.pattern.finditer(template):
        if match.start() > position:
            parts.append(("text", template[position : match.start()]))
        if match.group("escaped") is not None:
            parts.append(("text", "$"))
        elif match.group("invalid") is not None:
            raise ValueError(f"{template!r}: a '$' at position {match.start()} starts no ${{field}}; write $$ for '$'")
        else:
            parts.append(("field", match.group("named") or match.group("braced")))
        position = match.end()
    if position < len(template):
        parts.append(("text", template[position:]))
    return parts


def check_filename_template(template: str) -> None:
    """Refuse an ``output.filename`` whose names could collide or clash with the run's own files.

    Raises ``ValueError`` saying what to change (see the module docstring, points 2 and 3).
    """
    parts = template_parts(template)
    shard_positions = [i for i, (kind, name) in enumerate(parts) if kind == "field" and name == SHARD_FIELD]
    if len(shard_positions) != 1:
        raise ValueError(f"{template!r} must contain ${{shard}} exactly once, so each input shard gets its own files")
    label_separators(template)
    if template.startswith("/") or "//" in template or "\\" in template:
        raise ValueError(f"{template!r}: a file name is relative to the output folder, with '/' between parts")
    for component in _components(parts):
        kind, first = component[0]
        if kind == "text" and first[:1] in ("_", ".", " "):
            raise ValueError(
                f"{template!r}: a path part may not start with {first[:1]!r}; such names are hidden from readers "
                "of the output or reserved for the run's bookkeeping"
            )
        if len(component) == 1 and kind == "text" and first.casefold() in RUN_OWN_NAMES:
            raise ValueError(f"{template!r}: {first!r} is a name the run writes itself")


def label_separators(template: str) -> dict[str, str]:
    """The characters each metadata field's value must not contain (see the module docstring, point 2).

    Raises ``ValueError`` when a field stands right beside ``${shard}`` or the separator is a letter or digit.
    """
    parts = template_parts(template)
    try:
        shard = next(i for i, (kind, name) in enumerate(parts) if kind == "field" and name == SHARD_FIELD)
    except StopIteration:
        return {}
    forbidden: dict[str, str] = {}
    for side, fields, neighbour in (
        ("before", parts[:shard], parts[shard - 1] if shard > 0 else None),
        ("after", parts[shard + 1 :], parts[shard + 1] if shard + 1 < len(parts) else None),
    ):
        names = [name for kind, name in fields if kind == "field"]
        if not names:
            continue
        if neighbour is None or neighbour[0] != "text":
            raise ValueError(
                f"${{{names[-1] if side == 'before' else names[0]}}} stands right {side} ${{shard}}: a label could "
                "run into the shard name and two shards could write one file; put a separator such as '/', '_', "
                f"'-' or '.' between them"
            )
        separator = neighbour[1][-1] if side == "before" else neighbour[1][0]
        if separator.isalnum():
            raise ValueError(
                f"{separator!r} separates ${{shard}} from a routing field; use a separator that is not a letter or "
                "digit, such as '/', '_', '-' or '.'"
            )
        for name in names:
            if name not in (SHARD_FIELD, RANK_FIELD) and separator not in forbidden.get(name, ""):
                forbidden[name] = forbidden.get(name, "") + separator
    return forbidden


def _components(parts: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Split template items at '/' into path components (each a non-empty list of items)."""
    components: list[list[tuple[str, str]]] = [[]]
    for kind, value in parts:
        if kind == "field":
            components[-1].append((kind, value))
            continue
        pieces = value.split("/")
        for index, piece in enumerate(pieces):
            if index:
                components.append([])
            if piece:
                components[-1].append(("text", piece))
    return [component for component in components if component]
