"""A causal LM's mean per-token loss per row, computed on the device without the full logits tensor.

A causal LM's logits are (rows, tokens, vocabulary): for SmolLM2's 49,152-token vocabulary a CPU batch of
2,048 tokens would hold 400 MB of fp32 logits, and a GPU batch of 65,536 tokens 13 GB. So the model body runs
once for the batch, and the LM head and the cross-entropy run over the real (unpadded) positions a slice of
``LOSS_SLICE_TOKENS`` at a time; only one number per row leaves the function.

The loss of token ``t`` is ``-log P(token t | tokens < t)`` in nats, in fp32 whatever the model's precision.
A row's loss is the mean over its tokens 2..n (the first token has no context); ``exp`` of it is the row's
perplexity (Jelinek et al. 1977; the quantity CCNet and the "perplexity filtering" literature threshold).
"""

from __future__ import annotations

import torch

LOSS_SLICE_TOKENS = 1024
"""Positions whose logits exist at once: 1,024 x 49,152 fp32 = 200 MB for SmolLM2."""


def mean_token_loss(module: torch.nn.Module, ids: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """(rows,) mean next-token loss of each row of ``ids`` (rows, length), fp32; NaN for a row of one token.

    ``mask`` (rows, length) marks real tokens (1) against right padding (0); None when there is no padding.
    ``module`` is a ``...ForCausalLM`` (its ``base_model`` gives hidden states, its output embeddings the LM
    head), possibly wrapped by ``torch.compile``.
    """
    model = getattr(module, "_orig_mod", module)
    hidden = model.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
    head = model.get_output_embeddings()
    rows, length = ids.shape
    predicted = torch.ones(rows, length - 1, dtype=torch.bool, device=ids.device)
    if mask is not None:
        predicted = mask[:, 1:].bool()
    row_of = torch.arange(rows, device=ids.device).unsqueeze(1).expand(rows, length - 1)[predicted]
    states = hidden[:, :-1][predicted]
    targets = ids[:, 1:][predicted]
    totals = torch.zeros(rows, dtype=torch.float32, device=ids.device)
    for start in range(0, len(targets), LOSS_SLICE_TOKENS):
        end = start + LOSS_SLICE_TOKENS
        logits = head(states[start:end]).float()
        losses = torch.nn.functional.cross_entropy(logits, targets[start:end], reduction="none")
        totals.index_add_(0, row_of[start:end], losses)
    counts = predicted.sum(dim=1).to(torch.float32)
    return torch.where(counts > 0, totals / counts.clamp(min=1.0), torch.full_like(totals, float("nan")))
