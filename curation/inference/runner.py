"""One model module on its device, run once per batch for every model spec that reads its outputs.

Two specs naming the same checkpoint (say, its probabilities under one name and its embedding under
another) share the module and its forward pass, just as all specs of an engine share the tokenisation.
"""

from __future__ import annotations

import torch

from curation.inference.loading import LoadedModel
from curation.inference.losses import mean_token_loss
from curation.inference.outputs import device_outputs
from curation.inference.quantization import quantize_int8


class ModelRunner:
    """A distinct module, the specs (``members``) reading it, and its optional int8 and compiled forms."""

    def __init__(self, members: list[LoadedModel]):
        self.members = members
        first = members[0]
        self.module: torch.nn.Module = first.module
        self.reference_module: torch.nn.Module | None = None
        self.task = first.task
        self.pad_token_id = first.pad_token_id
        self.wants_hidden = any("embedding" in m.outputs for m in members)
        self._captured: list[torch.Tensor] = []
        self._hooked: set[int] = set()

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.members]

    def quantize(self) -> None:
        """Keep the fp32 module as the reference and run an int8 copy until the check decides."""
        self.reference_module = self.module
        self.module = quantize_int8(self.module)

    def settle_quantization(self, accepted: bool) -> None:
        """Keep int8 (``accepted``) or go back to fp32; either way the other copy is released."""
        if not accepted and self.reference_module is not None:
            self.module = self.reference_module
        self.reference_module = None
        for member in self.members:
            member.module = self.module  # no reference to the discarded copy is left

    def replace_module(self, module: torch.nn.Module) -> None:
        """Run ``module`` from now on (another precision of the same model, chosen by the precision check)."""
        self.module = module
        for member in self.members:
            member.module = module

    def compile(self, dynamic: bool = True, mode: str | None = None) -> None:
        """``torch.compile`` the module: with dynamic shapes, or one graph per static shape (``mode``
        ``reduce-overhead`` replays each shape as a CUDA graph)."""
        self.module = torch.compile(self.module, dynamic=dynamic, mode=mode)

    def attach_hidden_capture(self, extra: list[torch.nn.Module] | None = None) -> None:
        """A classifier's last hidden states, for its embedding output, without returning every layer's.

        A forward hook on the encoder (``base_model``) keeps its first output; the classification head runs
        as usual on it. A bare encoder returns its last hidden state itself and needs no hook.
        """
        if self.task != "classify" or not self.wants_hidden:
            return
        captured = self._captured
        for module in (self.module, self.reference_module, *(extra or [])):
            if module is None or id(module) in self._hooked:
                continue
            base = getattr(module, "_orig_mod", module).base_model
            base.register_forward_hook(lambda _module, _inputs, output: captured.append(output[0]))
            self._hooked.add(id(module))

    def forward(
        self,
        ids: torch.Tensor,
        mask: torch.Tensor | None,
        use_reference: bool = False,
        module: torch.nn.Module | None = None,
    ) -> dict[str, dict[str, torch.Tensor]]:
        """Each member's requested outputs for one batch, reduced on the device (call under inference mode).

        ``mask`` is the attention mask, or None for a batch without padding. ``module`` runs another copy of
        the model (a precision the precision check compares) instead of the current one.
        """
        if module is None:
            module = self.reference_module if use_reference and self.reference_module is not None else self.module
        if self.task == "perplexity":
            loss = mean_token_loss(module, ids, mask)
            return {m.name: {"loss": loss} for m in self.members}
        self._captured.clear()
        try:
            result = module(input_ids=ids, attention_mask=mask)
            if self.task == "classify":
                logits = result.logits
                hidden = self._captured[-1] if self.wants_hidden else None
            else:
                logits, hidden = None, result.last_hidden_state
            return {m.name: device_outputs(m, logits, hidden, mask) for m in self.members}
        finally:
            self._captured.clear()
