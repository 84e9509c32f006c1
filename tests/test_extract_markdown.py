"""``output_format: markdown``: headings, lists, tables and code blocks kept, from either extractor."""

from __future__ import annotations

import pytest
from datatrove.data import Document

from curation.extract.extractors import make_extractor
from curation.extract.markdown import minimal_html_to_markdown
from curation.extract.stage import ExtractText

PAGE = """<html><head><title>Parsing guide</title></head><body>
<nav><a href="/">Home</a> <a href="/docs">Docs</a></nav>
<main><article>
<h1>Reading configuration files</h1>
<p>The loader reads every file in the folder and merges the values it finds, later files winning over
earlier ones, so that a local override never needs to repeat the shared defaults of the project.</p>
<h2>Supported formats</h2>
<ol><li>YAML files with the usual extension, read with the safe loader only</li>
<li>TOML files, read with the standard library parser since Python 3.11</li></ol>
<p>Keys are compared case-insensitively, and a key that appears twice in one file is reported as an error
with the file name and the line number where the second occurrence starts.</p>
<table><tr><th>Format</th><th>Extension</th></tr><tr><td>YAML</td><td>.yaml</td></tr>
<tr><td>TOML</td><td>.toml</td></tr></table>
<pre><code>config = load_folder("settings/")
print(config["database"]["host"])</code></pre>
<p>Values may refer to environment variables, which are expanded once, when the file is read, and never
again afterwards, so a running process keeps the configuration it started with.</p>
</article></main><footer>Copyright 2026 Example</footer></body></html>"""


def test_minimal_html_vocabulary_becomes_markdown():
    html = (
        "<h2>Steps</h2>\n\n<p>First  paragraph,\nwrapped.</p>\n\n<ol>\n  <li>one</li>\n  <li>two\n  <ul>\n"
        "    <li>nested</li>\n  </ul></li>\n</ol>\n<pre>if a &lt; b:\n    pass\n</pre>\n"
        "Name\t\tValue\nalpha\t\t1\nbeta | gamma\t\t2\nLoose line<br>\n<p>Line<br>\nbreak &amp; end</p>"
    )
    assert minimal_html_to_markdown(html) == (
        "## Steps\n\nFirst paragraph, wrapped.\n\n1. one\n2. two\n  - nested\n\n```\nif a < b:\n    pass\n```\n\n"
        "| Name | Value |\n|---|---|\n| alpha | 1 |\n| beta \\| gamma | 2 |\n\nLoose line\n\nLine\nbreak & end"
    )


@pytest.mark.parametrize("name", ["resiliparse", "trafilatura"])
def test_both_extractors_keep_structure(name):
    text = make_extractor(name, output_format="markdown").extract(PAGE)
    assert "# Reading configuration files" in text and "## Supported formats" in text
    assert "1. YAML files with the usual extension" in text and "2. TOML files" in text
    assert "| YAML | .yaml |" in text.replace("  ", " ")
    assert '```\nconfig = load_folder("settings/")' in text
    assert "Home" not in text and "Copyright" not in text


def test_markdown_mode_of_the_stage_and_the_plain_text_default():
    for output_format, heading in (
        ("markdown", "# Reading configuration files"),
        ("text", "Reading configuration files"),
    ):
        stage = ExtractText(output_format=output_format)
        (document,) = stage.run(iter([Document(text=PAGE, id="guide")]))
        stage.close()
        assert document.text.startswith(heading)
        assert ("```" in document.text) == (output_format == "markdown")


def test_unknown_output_format_is_a_clear_error():
    with pytest.raises(ValueError, match="output_format must be one of text, markdown"):
        make_extractor("resiliparse", output_format="html")
