"""Compiled inner loops: tokenising, shingle hashing (xxHash32) and MinHash permutations.

The per-document work of MinHash is a loop over hundreds of shingles times 128 permutations. Written in
Python (datasketch) it runs at a few thousand documents per second; building the shingle strings alone caps
near 13k/s. These kernels run the whole path — UTF-8 bytes in, signature out — compiled by numba, so no
Python object is created per word or per shingle. ``curation.dedup.shingles`` is the plain-Python
reference they are tested against.

Integer arithmetic is done in ``uint64`` with explicit masks, because numba promotes mixed integer types to
float or to signed 64-bit: every constant and shift below is typed so that no promotion happens.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MASK32 = np.uint64(0xFFFFFFFF)
MERSENNE_61 = np.uint64((1 << 61) - 1)
_P1 = np.uint64(0x9E3779B1)
_P2 = np.uint64(0x85EBCA77)
_P3 = np.uint64(0xC2B2AE3D)
_P4 = np.uint64(0x27D4EB2F)
_P5 = np.uint64(0x165667B1)
_FMIX_M1 = np.uint64(0x85EBCA6B)
_FMIX_M2 = np.uint64(0xC2B2AE35)
_U0 = np.uint64(0)
_U1 = np.uint64(1)
_U8 = np.uint64(8)
_U11 = np.uint64(11)
_U13 = np.uint64(13)
_U15 = np.uint64(15)
_U16 = np.uint64(16)
_U17 = np.uint64(17)
_U24 = np.uint64(24)
_U61 = np.uint64(61)
_SPACE = np.uint8(32)

SCHEME_AFFINE32 = 0
SCHEME_LEGACY = 1
MODE_WORDS = 0
MODE_CHARACTERS = 1
MODE_AUTO = 2
SCRIPT_DETECT = -2
"""Per-document script in ``auto`` mode: detect it from the characters (``>= 0``: a script id; -1: words)."""
SCRIPT_WORDS = -1
SCRIPT_HANI = 0
SCRIPT_JPAN = 1
_FIRST_SCRIPT_CODE_POINT = 0x0E00
SCRIPT_SHARE = 0.25
"""Kept equal to ``scripts.SCRIPT_SHARE`` (checked where the kernels are called)."""


@njit(inline="always")
def _rotl32(x, r):
    return ((x << r) | (x >> (np.uint64(32) - r))) & MASK32


@njit(inline="always")
def _read32(buf, p):
    return (
        np.uint64(buf[p])
        | (np.uint64(buf[p + 1]) << _U8)
        | (np.uint64(buf[p + 2]) << _U16)
        | (np.uint64(buf[p + 3]) << _U24)
    )


@njit(inline="always")
def _xxh32_round(acc, lane):
    acc = (acc + lane * _P2) & MASK32
    acc = _rotl32(acc, _U13)
    return (acc * _P1) & MASK32


@njit(cache=True)
def xxh32(buf, start, end, seed):
    """xxHash32 of ``buf[start:end]`` (bit-identical to ``xxhash.xxh32_intdigest``)."""
    length = end - start
    p = start
    seed = np.uint64(seed) & MASK32
    if length >= 16:
        v1 = (seed + _P1 + _P2) & MASK32
        v2 = (seed + _P2) & MASK32
        v3 = seed
        v4 = (seed - _P1) & MASK32
        limit = end - 16
        while p <= limit:
            v1 = _xxh32_round(v1, _read32(buf, p))
            v2 = _xxh32_round(v2, _read32(buf, p + 4))
            v3 = _xxh32_round(v3, _read32(buf, p + 8))
            v4 = _xxh32_round(v4, _read32(buf, p + 12))
            p += 16
        h = (
            _rotl32(v1, _U1) + _rotl32(v2, np.uint64(7)) + _rotl32(v3, np.uint64(12)) + _rotl32(v4, np.uint64(18))
        ) & MASK32
    else:
        h = (seed + _P5) & MASK32
    h = (h + np.uint64(length)) & MASK32
    while p + 4 <= end:
        h = (h + _read32(buf, p) * _P3) & MASK32
        h = (_rotl32(h, _U17) * _P4) & MASK32
        p += 4
    while p < end:
        h = (h + np.uint64(buf[p]) * _P5) & MASK32
        h = (_rotl32(h, _U11) * _P1) & MASK32
        p += 1
    h ^= h >> _U15
    h = (h * _P2) & MASK32
    h ^= h >> _U13
    h = (h * _P3) & MASK32
    h ^= h >> _U16
    return h


@njit(inline="always")
def fmix32(h):
    """MurmurHash3's 32-bit finaliser, as datasketch's ``affine32`` scheme applies it before permuting."""
    h ^= h >> _U16
    h = (h * _FMIX_M1) & MASK32
    h ^= h >> _U13
    h = (h * _FMIX_M2) & MASK32
    h ^= h >> _U16
    return h


_ASCII_WORD = np.array([chr(c).isascii() and (chr(c).isalnum() or c == 95) for c in range(128)], dtype=np.bool_)


@njit(inline="always")
def _is_word_codepoint(cp, non_word_ranges):
    if cp < 128:
        return _ASCII_WORD[cp]
    for i in range(non_word_ranges.shape[0]):  # noqa: SIM110 (numba compiles loops, not generators)
        if non_word_ranges[i, 0] <= cp <= non_word_ranges[i, 1]:
            return False
    return True


@njit(inline="always")
def _decode(buf, p):
    """(code point, byte length) of the UTF-8 sequence at ``p`` (input comes from ``str.encode``: valid)."""
    b0 = np.int64(buf[p])
    if b0 < 0x80:
        return b0, 1
    if b0 < 0xE0:
        return ((b0 & 0x1F) << 6) | (np.int64(buf[p + 1]) & 0x3F), 2
    if b0 < 0xF0:
        return ((b0 & 0x0F) << 12) | ((np.int64(buf[p + 1]) & 0x3F) << 6) | (np.int64(buf[p + 2]) & 0x3F), 3
    return (
        ((b0 & 0x07) << 18)
        | ((np.int64(buf[p + 1]) & 0x3F) << 12)
        | ((np.int64(buf[p + 2]) & 0x3F) << 6)
        | (np.int64(buf[p + 3]) & 0x3F),
        4,
    )


@njit(inline="always")
def _script_id(cp, script_ranges):
    """The script id of code point ``cp`` in the sorted ``(low, high, id)`` table, or -1."""
    for i in range(script_ranges.shape[0]):
        if cp < script_ranges[i, 0]:
            return -1
        if cp <= script_ranges[i, 1]:
            return script_ranges[i, 2]
    return -1


@njit(inline="always")
def _compact_words(buf, start, end, non_word_ranges, out, word_ends):
    """The body of ``compact_words``, inlined into the batch loops."""
    count = 0
    length = 0
    in_word = False
    p = start
    while p < end:
        cp, size = _decode(buf, p)
        if _is_word_codepoint(cp, non_word_ranges):
            if not in_word:
                if count > 0:
                    out[length] = _SPACE
                    length += 1
                in_word = True
            for k in range(size):
                out[length] = buf[p + k]
                length += 1
        elif in_word:
            word_ends[count] = length
            count += 1
            in_word = False
        p += size
    if in_word:
        word_ends[count] = length
        count += 1
    return count


@njit(cache=True)
def compact_words(buf, start, end, non_word_ranges, out, word_ends):
    """Copy the words of ``buf[start:end]`` into ``out`` separated by single spaces.

    ``word_ends[i]`` receives the end offset (in ``out``) of word ``i``; returns the number of words. Word
    ``i`` starts at ``word_ends[i - 1] + 1`` (0 for the first), so a run of ``n`` words is one contiguous
    slice of ``out`` — exactly the bytes of ``" ".join(words)`` that the Python reference hashes.
    """
    return _compact_words(buf, start, end, non_word_ranges, out, word_ends)


@njit(inline="always")
def _compact_words_counting_scripts(buf, start, end, non_word_ranges, script_ranges, out, word_ends, counts):
    """``compact_words``, also adding to ``counts[k]`` the word code points of script ``k`` of ``script_ranges``.

    A separate copy rather than a flag, so the plain word path keeps its speed. Counting costs one comparison
    per word code point: none of these scripts starts below U+0E00.
    """
    count = 0
    length = 0
    in_word = False
    p = start
    while p < end:
        cp, size = _decode(buf, p)
        if _is_word_codepoint(cp, non_word_ranges):
            if not in_word:
                if count > 0:
                    out[length] = _SPACE
                    length += 1
                in_word = True
            for k in range(size):
                out[length] = buf[p + k]
                length += 1
            if cp >= _FIRST_SCRIPT_CODE_POINT:
                script = _script_id(cp, script_ranges)
                if script >= 0:
                    counts[script] += 1
        elif in_word:
            word_ends[count] = length
            count += 1
            in_word = False
        p += size
    if in_word:
        word_ends[count] = length
        count += 1
    return count


@njit(inline="always")
def _dominant_script(counts, out, length, words):
    """The script a document is shingled in, or -1 for words (``scripts.detect_script``).

    ``counts``: its word code points per script; ``out[:length]``: its ``words`` compacted words (read only
    when some code point is in a script written without spaces, to count all word code points).
    """
    han = counts[SCRIPT_HANI]
    kana = counts[SCRIPT_JPAN]
    if kana > 0 and kana * 20 >= kana + han:
        kana += han
        han = 0
    unspaced = 0
    best = -1
    best_count = 0
    for k in range(counts.shape[0]):
        c = counts[k]
        if k == SCRIPT_HANI:
            c = han
        elif k == SCRIPT_JPAN:
            c = kana
        unspaced += c
        if c > best_count:
            best = k
            best_count = c
    if unspaced == 0:
        return -1
    total = 1 - words  # the separators between words are not word code points
    for p in range(length):
        if (out[p] & 0xC0) != 0x80:
            total += 1
    if unspaced < SCRIPT_SHARE * total:
        return -1
    return best


@njit(inline="always")
def _auto_units(buf, start, end, ngram, script, non_word_ranges, script_ranges, script_lengths, out, ends, counts):
    """Shingle units of one document in ``auto`` mode: ``(units, n, gap)``.

    Words (``gap`` 1: units are separated by one space in ``out``) unless the document is in a script written
    without spaces (``script``, or detected when it is ``SCRIPT_DETECT``): then the separators are squeezed
    out and every code point is a unit (``gap`` 0), ``n`` being the script's shingle length. Either way,
    unit ``i`` ends at ``ends[i]`` and starts at ``ends[i - 1] + gap``.
    """
    for k in range(counts.shape[0]):
        counts[k] = 0
    count = _compact_words_counting_scripts(buf, start, end, non_word_ranges, script_ranges, out, ends, counts)
    if count == 0:
        return count, ngram, 1
    if script == SCRIPT_DETECT:
        script = _dominant_script(counts, out, ends[count - 1], count)
    if script < 0:
        return count, ngram, 1
    length = 0
    for p in range(ends[count - 1]):
        if out[p] != _SPACE:
            out[length] = out[p]
            length += 1
    units = 0
    for p in range(1, length):
        if (out[p] & 0xC0) != 0x80:
            ends[units] = p
            units += 1
    ends[units] = length
    return units + 1, script_lengths[script], 0


@njit(inline="always")
def _word_scratch(offsets):
    """Buffers for ``compact_words`` sized for the longest document: its compacted bytes and word ends."""
    longest = 0
    for i in range(offsets.shape[0] - 1):
        longest = max(longest, offsets[i + 1] - offsets[i])
    return np.empty(longest + 1, dtype=np.uint8), np.empty(longest + 1, dtype=np.int64)


@njit(inline="always")
def _permute_into(signature, hv, a, b, scheme):
    """Fold one shingle hash into the running minimum of every permutation.

    ``affine32`` runs in ``uint32`` lanes (``a``, ``b`` and ``signature`` are ``uint32``; the products wrap
    modulo 2**32, which is the scheme's definition) so LLVM vectorises the loop; ``legacy`` needs ``uint64``.
    """
    if scheme == SCHEME_AFFINE32:
        x = np.uint32(fmix32(hv))
        for k in range(signature.shape[0]):
            signature[k] = min(signature[k], np.uint32(a[k] * x + b[k]))
    else:
        for k in range(signature.shape[0]):
            y = a[k] * hv + b[k]  # wraps modulo 2**64, as in datasketch's uint64 NumPy arithmetic
            y = (y & MERSENNE_61) + (y >> _U61)  # y mod (2**61 - 1), without a division
            if y >= MERSENNE_61:
                y -= MERSENNE_61
            signature[k] = min(signature[k], np.uint32(y & MASK32))


@njit(cache=True)
def minhash_batch(
    buf,
    offsets,
    ngram,
    mode,
    a,
    b,
    scheme,
    seed,
    non_word_ranges,
    scripts,
    script_ranges,
    script_lengths,
    signatures,
    shingle_counts,
):
    """Signatures of documents ``buf[offsets[i]:offsets[i + 1]]`` into ``signatures[i]`` (all-max if empty).

    Word mode: shingles are ``ngram`` consecutive words joined by one space; a document with fewer words
    has one shingle, all of its words. Character mode: shingles are ``ngram`` consecutive code points of the
    (already normalised) text, or the whole text if it is shorter. Auto mode: words, or for a document in a
    script written without spaces (``scripts[i]``, a script id, or ``SCRIPT_DETECT``), that script's
    ``script_lengths`` consecutive code points of its words joined without separators (see ``_auto_units``).
    ``shingle_counts[i]`` gets the number of shingles hashed (duplicates included).
    """
    n_docs = offsets.shape[0] - 1
    scratch, ends = _word_scratch(offsets)
    counts = np.zeros(script_lengths.shape[0], dtype=np.int64)
    empty = np.uint64(0xFFFFFFFF)
    for i in range(n_docs):
        signature = signatures[i]
        for k in range(signature.shape[0]):
            signature[k] = empty
        start = offsets[i]
        end = offsets[i + 1]
        hashed = 0
        if mode == MODE_CHARACTERS:
            count = 0
            for p in range(start, end):
                if (buf[p] & 0xC0) != 0x80:
                    ends[count] = p
                    count += 1
            ends[count] = end
            if count > 0:
                last = max(count - ngram + 1, 1)
                for s in range(last):
                    stop = ends[min(s + ngram, count)]
                    _permute_into(signature, xxh32(buf, ends[s], stop, seed), a, b, scheme)
                    hashed += 1
        elif mode == MODE_WORDS:
            count = _compact_words(buf, start, end, non_word_ranges, scratch, ends)
            if count > 0:
                last = max(count - ngram + 1, 1)
                for s in range(last):
                    first = 0 if s == 0 else ends[s - 1] + 1
                    stop = ends[min(s + ngram, count) - 1]
                    _permute_into(signature, xxh32(scratch, first, stop, seed), a, b, scheme)
                    hashed += 1
        else:
            count, n, gap = _auto_units(
                buf,
                start,
                end,
                ngram,
                scripts[i],
                non_word_ranges,
                script_ranges,
                script_lengths,
                scratch,
                ends,
                counts,
            )
            if count > 0:
                last = max(count - n + 1, 1)
                for s in range(last):
                    first = 0 if s == 0 else ends[s - 1] + gap
                    stop = ends[min(s + n, count) - 1]
                    _permute_into(signature, xxh32(scratch, first, stop, seed), a, b, scheme)
                    hashed += 1
        shingle_counts[i] = hashed


@njit(cache=True)
def shingle_hashes_batch(
    buf,
    offsets,
    ngram,
    mode,
    whole_if_short,
    non_word_ranges,
    scripts,
    script_ranges,
    script_lengths,
    doc_out_offsets,
    hashes_out,
):
    """xxHash32 of every shingle of every document, concatenated; ``doc_out_offsets`` delimits documents.

    Shingles as in ``minhash_batch``; with ``whole_if_short`` false, a document shorter than one shingle
    contributes nothing (what decontamination wants: a 13-gram match needs 13 words). ``hashes_out`` must
    hold one hash per byte of input. Returns the number of hashes written.
    """
    n_docs = offsets.shape[0] - 1
    scratch, ends = _word_scratch(offsets)
    counts = np.zeros(script_lengths.shape[0], dtype=np.int64)
    written = 0
    doc_out_offsets[0] = 0
    for i in range(n_docs):
        start = offsets[i]
        end = offsets[i + 1]
        if mode == MODE_CHARACTERS:
            count = 0
            for p in range(start, end):
                if (buf[p] & 0xC0) != 0x80:
                    ends[count] = p
                    count += 1
            ends[count] = end
            last = count - ngram + 1
            if last < 1 and whole_if_short and count > 0:
                last = 1
            for s in range(last):
                hashes_out[written] = xxh32(buf, ends[s], ends[min(s + ngram, count)], 0)
                written += 1
        else:
            if mode == MODE_WORDS:
                count = _compact_words(buf, start, end, non_word_ranges, scratch, ends)
                n = ngram
                gap = 1
            else:
                count, n, gap = _auto_units(
                    buf,
                    start,
                    end,
                    ngram,
                    scripts[i],
                    non_word_ranges,
                    script_ranges,
                    script_lengths,
                    scratch,
                    ends,
                    counts,
                )
            last = count - n + 1
            if last < 1 and whole_if_short and count > 0:
                last = 1
            for s in range(last):
                first = 0 if s == 0 else ends[s - 1] + gap
                hashes_out[written] = xxh32(scratch, first, ends[min(s + n, count) - 1], 0)
                written += 1
        doc_out_offsets[i + 1] = written
    return written


@njit(cache=True)
def sorted_unique_segments(values, offsets, out_offsets):
    """Sort each segment ``values[offsets[i]:offsets[i + 1]]`` and drop repeats, compacting in place."""
    written = 0
    out_offsets[0] = 0
    for i in range(offsets.shape[0] - 1):
        segment = np.sort(values[offsets[i] : offsets[i + 1]])
        previous_written = written
        for k in range(segment.shape[0]):
            if written == previous_written or segment[k] != values[written - 1]:
                values[written] = segment[k]
                written += 1
        out_offsets[i + 1] = written
    return written


@njit(cache=True)
def word_ngram_hashes64(buf, offsets, ngram, non_word_ranges, doc_out_offsets, hashes_out):
    """A 64-bit hash (two xxHash32 with different seeds) of every word n-gram of every document.

    For exact-match lookups against a large set, where 32 bits would collide too often. Documents with
    fewer than ``ngram`` words contribute nothing; ``hashes_out`` needs one slot per input byte.
    """
    n_docs = offsets.shape[0] - 1
    scratch, ends = _word_scratch(offsets)
    written = 0
    doc_out_offsets[0] = 0
    for i in range(n_docs):
        count = _compact_words(buf, offsets[i], offsets[i + 1], non_word_ranges, scratch, ends)
        for s in range(count - ngram + 1):
            first = 0 if s == 0 else ends[s - 1] + 1
            stop = ends[s + ngram - 1]
            high = xxh32(scratch, first, stop, 0)
            low = xxh32(scratch, first, stop, 0x9747B28C)
            hashes_out[written] = (high << np.uint64(32)) | low
            written += 1
        doc_out_offsets[i + 1] = written
    return written


@njit(cache=True)
def pair_jaccard(values, offsets, left, right, out):
    """Exact Jaccard of sorted unique hash sets ``values[offsets[i]:offsets[i + 1]]`` for each (left, right)."""
    for j in range(left.shape[0]):
        i1 = left[j]
        i2 = right[j]
        p, p_end = offsets[i1], offsets[i1 + 1]
        q, q_end = offsets[i2], offsets[i2 + 1]
        common = 0
        while p < p_end and q < q_end:
            if values[p] == values[q]:
                common += 1
                p += 1
                q += 1
            elif values[p] < values[q]:
                p += 1
            else:
                q += 1
        union = (offsets[i1 + 1] - offsets[i1]) + (offsets[i2 + 1] - offsets[i2]) - common
        out[j] = common / union if union > 0 else 1.0
