"""The demo's report.html in a real headless Chromium: no console errors, not blank, every plot drawn, hostile
text shown as text and never run. Skips when Chromium or playwright is missing (CI installs both)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from curation.classify.demo import build_demo_models
from curation.cli import main as curate
from curation.sample import generate_sample
from tests.helpers import write_jsonl

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOSTILE = "<script>alert(1)</script></svg><img src=x onerror=alert(2)>"
DEMO_PLOTS = {
    "funnel",
    "drop-reasons",
    "quarantine-reasons",
    "threshold-language_id-language_score",
    "threshold-gopher_quality-gopher_words",
    "threshold-quality_score-quality_score",
    "threshold-domain_classify-domain_score",
    "composition-language",
    "composition-domain",
    "length-chars",
    "length-tokens",
    "scores-by-domain-quality_score",
    "dedup-share",
    "cluster-sizes-exact_dedup",
    "cluster-sizes-minhash_dedup",
    "stage-seconds",
}


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> Path:
    """`curate run pipelines/demo.yaml` on a small sample plus one hostile shard; the report it wrote."""
    base = tmp_path_factory.mktemp("demo-report")
    build_demo_models(base / "models", sample_docs=600)
    manifest = generate_sample(base / "sample", shards=2, docs_per_shard=80, seed=4)
    write_jsonl(
        manifest.shards_dir / "part-hostile.jsonl",
        [{"id": "hostile", "text": f"{HOSTILE} The cook bakes bread.", "url": "https://example.com/<script>"}],
    )
    recipe = (REPO_ROOT / "pipelines" / "demo.yaml").read_text().replace("build/demo/models", str(base / "models"))
    (base / "demo.yaml").write_text(recipe)
    arguments = ["run", str(base / "demo.yaml"), "-i", str(manifest.shards_dir), "-o", str(base / "out"), "-q"]
    assert curate([*arguments, "-w", "2"]) == 0
    report = base / "out" / "report.html"
    assert report.is_file()
    return report


def test_demo_report_renders_in_chromium_without_errors(demo_report):
    if not Path(CHROMIUM).is_file():
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    from PIL import Image

    messages: list[str] = []
    dialogs: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
            page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(demo_report.as_uri(), wait_until="load")
            shown = set(page.eval_on_selector_all("figure.plot", "figures => figures.map(f => f.dataset.plot)"))
            sizes = page.eval_on_selector_all(
                "figure.plot svg",
                "svgs => svgs.map(s => [s.getBoundingClientRect().width, s.getBoundingClientRect().height])",
            )
            text = page.evaluate("document.body.innerText")
            examples = page.evaluate("document.body.textContent")
            scripts = page.evaluate("document.scripts.length")
            images = page.evaluate("document.images.length")
            screenshot = page.screenshot(full_page=True)
        finally:
            browser.close()
    assert not messages, messages
    assert not dialogs, dialogs
    assert requests == [demo_report.as_uri()]  # nothing fetched besides the page itself
    assert shown >= DEMO_PLOTS, DEMO_PLOTS - shown
    assert len(sizes) == len(shown) and all(width > 200 and height > 50 for width, height in sizes)
    assert len(text) > 2000 and "Funnel" in text and "records in" in text
    assert HOSTILE in examples  # the hostile document is in the examples, as text
    assert scripts == 0 and images == 0
    assert "cpu (fasttext)" in text  # where the quality and domain models ran
    picture = Image.open(io.BytesIO(screenshot)).convert("RGB")
    assert picture.height > 3000
    assert len(picture.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 100  # drawn, not a blank page
