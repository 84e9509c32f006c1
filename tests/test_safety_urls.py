"""``url_filter``: datatrove's URL filter with the UT1 list from its wheel, offline, plus the operator's lists."""

from __future__ import annotations

import random
import tarfile
from pathlib import Path

import cloudpickle
import numpy as np
import pytest
from datatrove.data import Document
from datatrove.utils._import_utils import ASSETS_PATH

from curation.safety.urls import UT1_ARCHIVE, DomainSet, URLBlocklist, ut1_domain_hashes


def _document(url: str | None) -> Document:
    return Document(text="x", id=url or "none", metadata={"url": url} if url else {})


@pytest.fixture(scope="module")
def ut1_sample() -> list[str]:
    """A seeded sample of the UT1 domains as the wheel's archive lists them."""
    with tarfile.open(Path(ASSETS_PATH) / UT1_ARCHIVE, "r:gz") as tar:
        member = tar.extractfile("domains")
        assert member is not None
        lines = member.read().decode("utf-8", "surrogateescape").splitlines()
    return random.Random(7).sample([line.strip() for line in lines if line.strip()], 300)


@pytest.fixture(scope="module")
def filter_with_ut1() -> URLBlocklist:
    step = URLBlocklist()
    step.download_data()
    return step


def test_every_sampled_ut1_domain_is_blocked_and_ordinary_domains_are_not(filter_with_ut1, ut1_sample):
    for domain in ut1_sample:
        assert filter_with_ut1.filter(_document(f"http://{domain}/page")) is not True, domain
    for domain in ("wikipedia.org", "example.org", "bbc.co.uk", "gov.uk", "python.org", "lemonde.fr"):
        assert filter_with_ut1.filter(_document(f"https://{domain}/page")) is True, domain


def test_the_domain_index_is_sorted_hashes_shared_through_a_memory_map(filter_with_ut1):
    hashes = ut1_domain_hashes()
    assert isinstance(hashes, np.memmap) and len(hashes) > 4_000_000
    assert bool(np.all(hashes[1:] > hashes[:-1]))
    assert isinstance(filter_with_ut1.block_listed_domains, DomainSet)


def test_datatrove_word_rules_keep_their_reasons(filter_with_ut1):
    assert filter_with_ut1.filter(_document("https://example.com/free-porn-videos")) == (False, "hard_blacklisted")
    assert filter_with_ut1.filter(_document("https://example.com/sexy-nude-gallery")) == (False, "soft_blacklisted")


def test_the_operator_blocks_and_allows_by_domain_substring_and_pattern(tmp_path):
    block_file = tmp_path / "block.txt"
    block_file.write_text("# ours\ncasino.example\nregex:\\.xxx/\n", encoding="utf-8")
    step = URLBlocklist(
        block=["substring:/gamble/", "domain:tracker.example"],
        block_files=[str(block_file)],
        allow=["domain:news.casino.example", "regex:^https://example\\.com/free-porn-history"],
        use_integrated_lists=True,
    )
    assert step.filter(_document("https://www.casino.example/x")) == (False, "blocked_domain")
    assert step.filter(_document("https://a.b.tracker.example/")) == (False, "blocked_domain")
    assert step.filter(_document("https://ok.example/Gamble/now")) == (False, "blocked_substring")
    assert step.filter(_document("https://site.xxx/")) == (False, "blocked_pattern")
    assert step.filter(_document("https://news.casino.example/x")) is True
    assert step.filter(_document("https://example.com/free-porn-history-of-censorship")) is True
    assert step.filter(_document("https://notcasino.example/")) is True
    assert step.stats["allowed"].total == 2


@pytest.mark.parametrize(
    ("entries", "message"),
    [(["https://example.com/x"], "is not a domain"), (["regex:("], "invalid regular expression")],
)
def test_bad_entries_are_refused_when_built(entries, message):
    with pytest.raises(ValueError, match=message):
        URLBlocklist(block=entries, use_integrated_lists=False)


def test_documents_without_a_url_pass_counted_or_drop_when_asked():
    keep = URLBlocklist(use_integrated_lists=False)
    assert keep.filter(_document(None)) is True and keep.stats["no_url"].total == 1
    drop = URLBlocklist(use_integrated_lists=False, missing_url="drop")
    assert drop.filter(_document(None)) == (False, "no_url")


def test_the_suffix_list_is_the_bundled_one():
    step = URLBlocklist(use_integrated_lists=False)
    assert step.tldextractor.suffix_list_urls == ()
    assert step.tldextractor("https://a.b.example.co.uk/x").fqdn == "a.b.example.co.uk"


def test_the_stage_travels_without_its_loaded_lists(filter_with_ut1):
    payload = cloudpickle.dumps(filter_with_ut1)
    assert len(payload) < 100_000
    copy = cloudpickle.loads(payload)
    assert copy.filter(_document("https://example.com/free-porn-videos")) == (False, "hard_blacklisted")
