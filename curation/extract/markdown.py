"""Resiliparse's minimal HTML → Markdown: headings, paragraphs, lists, code blocks and tables kept as structure.

Resiliparse can keep a page's structure only as a small, fixed HTML vocabulary (``preserve_formatting=
"minimal_html"``): ``h1``–``h6``, ``p``, ``ul``/``ol``/``li``, ``pre`` and ``br``, with entities escaped. Table
rows come out as bare lines whose cells are separated by two tabs, and text that sat in no block element as bare
lines. This module turns exactly that vocabulary into Markdown (ATX headings, ``-``/``1.`` list items indented
two spaces per nesting level, fenced code blocks, pipe tables), so both extractors can give the same output
format. It is not a general HTML-to-Markdown converter: other tags are ignored and their text kept.
"""

from __future__ import annotations

from html.parser import HTMLParser

CELL_SEPARATOR = "\t\t"
"""How Resiliparse separates the cells of a table row in its text output."""

_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_INLINE_BLOCKS = {"p", "li", *_HEADINGS}


def minimal_html_to_markdown(html: str) -> str:
    """Markdown for Resiliparse's ``minimal_html`` output (see the module docstring for the vocabulary)."""
    converter = _Converter()
    converter.feed(html)
    converter.close()
    return converter.markdown()


def _table(rows: list[list[str]]) -> str:
    width = max(len(row) for row in rows)
    lines = []
    for index, row in enumerate(rows):
        cells = [cell.strip().replace("|", "\\|") for cell in row] + [""] * (width - len(row))
        lines.append("| " + " | ".join(cells) + " |")
        if index == 0:
            lines.append("|" + "---|" * width)
    return "\n".join(lines)


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.inline: list[str] = []  # text of the open paragraph, heading or list item
        self.block_tag: str | None = None
        self.lists: list[list] = []  # one [tag, next number] per open list
        self.list_lines: list[str] = []
        self.pre: list[str] | None = None
        self.loose: list[str] = []  # text outside any block element: plain lines and table rows

    # -- structure -------------------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs) -> None:
        if self.pre is not None:
            return
        if tag == "br":
            self.inline.append("\n")
            return
        if tag in ("ul", "ol"):
            self._flush_loose()
            if self.block_tag == "li":
                self._end_item()
            self.lists.append([tag, 1])
            return
        if tag == "pre":
            self._flush_loose()
            self._end_inline_block()
            self.pre = []
            return
        if tag in _INLINE_BLOCKS:
            self._flush_loose()
            self._end_inline_block()
            self.block_tag = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self.pre is not None:
            code = "".join(self.pre).strip("\n")
            self.pre = None
            self._add_block(f"```\n{code}\n```")
            return
        if self.pre is not None:
            return
        if tag in ("ul", "ol"):
            if self.block_tag == "li":
                self._end_item()
            if self.lists:
                self.lists.pop()
            if not self.lists and self.list_lines:
                lines, self.list_lines = self.list_lines, []
                self._add_block("\n".join(lines))
            return
        if tag == self.block_tag:
            self._end_inline_block()

    def handle_data(self, data: str) -> None:
        if self.pre is not None:
            self.pre.append(data)
        elif self.block_tag is not None:
            self.inline.append(data.replace("\n", " "))  # only <br> breaks a line
        elif not self.lists:
            self.loose.append(data)
        elif data.strip():  # text of a list item after its nested list: an item of its own
            self.block_tag = "li"
            self.inline.append(data.replace("\n", " "))

    # -- blocks ----------------------------------------------------------------------------------------------
    def _inline_text(self) -> str:
        text = "".join(self.inline)
        self.inline = []
        return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()

    def _end_item(self) -> None:
        text = self._inline_text()
        self.block_tag = None
        if not self.lists:
            if text:
                self._add_block(text)
            return
        tag, number = self.lists[-1]
        marker = f"{number}." if tag == "ol" else "-"
        self.lists[-1][1] = number + 1
        indent = "  " * (len(self.lists) - 1)
        if text:
            self.list_lines.append(indent + marker + " " + text.replace("\n", "\n" + indent + "  "))

    def _end_inline_block(self) -> None:
        if self.block_tag is None:
            return
        if self.block_tag == "li":
            self._end_item()
            return
        text = self._inline_text()
        level = _HEADINGS.get(self.block_tag)
        self.block_tag = None
        if text:
            self._add_block("#" * level + " " + " ".join(text.split()) if level else text)

    def _flush_loose(self) -> None:
        if not self.loose:
            return
        rows: list[list[str]] = []
        lines: list[str] = []
        for line in "".join(self.loose).split("\n"):
            if CELL_SEPARATOR in line and line.strip():
                if lines:
                    self._add_block("\n".join(lines))
                    lines = []
                rows.append(line.split(CELL_SEPARATOR))
            elif line.strip():
                if rows:
                    self._add_block(_table(rows))
                    rows = []
                lines.append(" ".join(line.split()))
        if rows:
            self._add_block(_table(rows))
        if lines:
            self._add_block("\n".join(lines))
        self.loose = []

    def _add_block(self, block: str) -> None:
        self.blocks.append(block)

    def markdown(self) -> str:
        if self.pre is not None:
            self.handle_endtag("pre")
        self._end_inline_block()
        self._flush_loose()
        if self.list_lines:
            self.blocks.append("\n".join(self.list_lines))
            self.list_lines = []
        return "\n\n".join(self.blocks)
