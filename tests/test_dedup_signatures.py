"""MinHash signatures: the compiled path equals the Python reference and datasketch, bit for bit."""

from __future__ import annotations

import gzip
import json
import shutil
import socket
import subprocess
import time

import numpy as np
import pytest
import xxhash
from datasketch import LeanMinHash, MinHash, MinHashLSH

from curation.dedup import kernels
from curation.dedup.shingles import char_shingles, jaccard, shingle_hash, shingles, word_shingles
from curation.dedup.signatures import EMPTY_VALUE, MinHasher, permutations
from curation.dedup.tokens import words

TRICKY = [
    "Hello, World! The quick brown fox jumps over the lazy dog.",
    "Café — «déjà vu», naïve façade; Straße ÄÖÜ (ẞ) 東京は晴れ。 Привет, мир! مرحبا بالعالم؟",
    "don’t stop—ever… “quoted” 'single' 3.14 1,000,000 snake_case_word emoji 😀🎉 mixed😀word",
    "tabs\tand\nnewlines\r\n and   spaces\u00a0nbsp\u2009thin\u3000ideographic",
    "short one",
    "",
    "!!! ??? ...",
    "a b c d e f g h i j k l m n o p",
    "surrogate \ud800 alone",
]


def _reference_signature(text: str, hasher: MinHasher) -> np.ndarray:
    minhash = MinHash(num_perm=hasher.num_perm, seed=hasher.seed, hashfunc=shingle_hash, scheme=hasher.scheme)
    minhash.update_batch(shingles(text, hasher.shingle, hasher.ngram))
    return minhash.hashvalues


@pytest.mark.parametrize("length", [0, 1, 3, 4, 7, 15, 16, 17, 31, 32, 33, 64, 200])
def test_compiled_xxh32_equals_xxhash(length):
    data = np.random.default_rng(length).integers(0, 256, length + 5, dtype=np.uint8)
    for seed in (0, 0x9747B28C):
        expected = xxhash.xxh32_intdigest(data[2 : 2 + length].tobytes(), seed=seed)
        assert kernels.xxh32(data, 2, 2 + length, seed) == expected


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
def test_permutations_are_datasketch_permutations(scheme):
    a, b = permutations(128, 7, scheme)
    reference = MinHash(num_perm=128, seed=7, scheme=scheme).permutations
    assert np.array_equal(a.astype(np.uint64), reference[0].astype(np.uint64))
    assert np.array_equal(b.astype(np.uint64), reference[1].astype(np.uint64))


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
@pytest.mark.parametrize(("kind", "ngram"), [("word", 5), ("word", 1), ("char", 24), ("char", 3), ("auto", 5)])
def test_signatures_equal_datasketch_with_our_shingle_hash(scheme, kind, ngram):
    hasher = MinHasher(num_perm=64, seed=3, ngram=ngram, shingle=kind, scheme=scheme)
    signatures, counts = hasher.signatures(TRICKY)
    for row, text in enumerate(TRICKY):
        assert counts[row] == len(shingles(text, kind, ngram)), text
        if counts[row] == 0:
            assert (signatures[row] == EMPTY_VALUE).all()
        assert np.array_equal(signatures[row].astype(np.uint64), _reference_signature(text, hasher).astype(np.uint64))


def test_tokeniser_matches_reference_on_75_languages(shared_data):
    """The compiled tokeniser and the regex reference agree on real sentences in every script we have."""
    hasher = MinHasher(num_perm=32, ngram=1)
    texts = []
    for path in sorted((shared_data / "langid" / "sentences").glob("*.txt")):
        texts.append(" ".join(path.read_text(encoding="utf-8").splitlines()[:20]))
    assert len(texts) >= 70
    values, offsets = hasher.shingle_sets(texts)
    for row, text in enumerate(texts):
        expected = np.unique(np.array([shingle_hash(s) for s in word_shingles(text, 1)], dtype=np.uint32))
        assert np.array_equal(values[offsets[row] : offsets[row + 1]], expected), text[:80]
    signatures, _ = hasher.signatures(texts)
    for row in range(0, len(texts), 9):
        assert np.array_equal(signatures[row].astype(np.uint64), _reference_signature(texts[row], hasher))


def test_real_web_documents_equal_datasketch(shared_data):
    path = shared_data / "web" / "CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"
    texts = [json.loads(line)["text"] for line in gzip.decompress(path.read_bytes()).splitlines()[:60]]
    hasher = MinHasher()
    signatures, _ = hasher.signatures(texts)
    for row, text in enumerate(texts):
        assert np.array_equal(signatures[row], _reference_signature(text, hasher).astype(np.uint32))


def test_words_and_shingles_reference():
    assert words("Don't STOP—now, 2 cafés!") == ["don", "t", "stop", "now", "2", "cafés"]
    assert word_shingles("one two three", 5) == [b"one two three"]
    assert word_shingles("a b c d e f", 5) == [b"a b c d e", b"b c d e f"]
    assert char_shingles("  AB  cd ", 3) == [b"ab ", b"b c", b" cd"]
    assert jaccard("a b c d e f", "a b c d e g") == pytest.approx(1 / 3)
    assert jaccard("x", "x") == 1.0


def test_estimated_similarity_tracks_jaccard():
    rng = np.random.default_rng(0)
    vocabulary = [f"w{i}" for i in range(5000)]
    base = list(rng.choice(vocabulary, 400))
    hasher = MinHasher(num_perm=256)
    for edits in (10, 40, 120):
        changed = list(base)
        for position in rng.choice(len(changed), edits, replace=False):
            changed[position] = "x" + changed[position]
        a, b = " ".join(base), " ".join(changed)
        signatures, _ = hasher.signatures([a, b])
        estimate = (signatures[0] == signatures[1]).mean()
        assert abs(estimate - jaccard(a, b)) < 0.1


def test_hasher_rejects_bad_configuration():
    with pytest.raises(ValueError, match="num_perm"):
        MinHasher(num_perm=0)
    with pytest.raises(ValueError, match="shingle kind"):
        MinHasher(shingle="sentence")
    with pytest.raises(ValueError, match="scheme"):
        MinHasher(scheme="affine64")


def _lsh_round_trip(storage_config: dict | None) -> None:
    hasher = MinHasher(num_perm=128)
    original = " ".join(f"word{i % 97} token{i % 13} item{i}" for i in range(300))
    near = original.replace("item150", "changed").replace("item151", "changed")
    other = " ".join(f"different{i} text{i % 7}" for i in range(300))
    signatures, _ = hasher.signatures([original, near, other])
    kwargs = {"storage_config": storage_config} if storage_config else {}
    lsh = MinHashLSH(threshold=0.7, num_perm=128, **kwargs)
    lean = [hasher.to_datasketch(signature) for signature in signatures]
    assert all(isinstance(item, LeanMinHash) for item in lean)
    lsh.insert("original", lean[0])
    lsh.insert("other", lean[2])
    assert lsh.query(lean[1]) == ["original"]
    # and a MinHash built by datasketch itself finds our entries
    theirs = MinHash(num_perm=128, hashfunc=shingle_hash)
    theirs.update_batch(word_shingles(near))
    assert lsh.query(theirs) == ["original"]


def test_datasketch_lsh_in_memory_accepts_our_signatures():
    _lsh_round_trip(None)


@pytest.fixture
def redis_port():
    server = shutil.which("redis-server")
    try:
        import redis  # noqa: F401
    except ImportError:
        server = None
    if server is None:
        pytest.skip("no redis-server and redis client here; the in-memory storage test covers the same path")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_datasketch_lsh_redis_storage_accepts_our_signatures(redis_port):
    _lsh_round_trip({"type": "redis", "redis": {"host": "127.0.0.1", "port": redis_port}})
