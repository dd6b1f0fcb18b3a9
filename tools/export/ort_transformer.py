"""The Sana transformer reshaped for ONNX Runtime's CUDA provider (export_sana.py --transformer-graph fused).

Same weights and the same arithmetic as diffusers' SanaTransformerBlock; what changes is the graph ONNX Runtime gets.
Why: profiled on an H200 (1600M, fp16, batch 8 with CFG; benchmarks/results/2026-11-28-h200-session4), half of the
transformer's time went to element-wise kernels between the GEMMs, and 31% to Conv nodes:
- GLUMBConv (the feed-forward) ran as 1x1 Conv -> SiLU -> depthwise Conv -> Slice into two halves -> SiLU -> Mul ->
  1x1 Conv on NCHW tensors, with a Transpose of the token tensor into NCHW and back around it. Here it runs on
  (batch, tokens, channels): the 1x1 convolutions are MatMuls (cuBLAS GEMMs), the "inverted" projection is split
  into its value and gate halves up front (so no Slice of a 5x-wide tensor), and only the depthwise 3x3 stays a
  Conv, between a Transpose pair that ONNX Runtime folds away when the CUDA provider runs convolutions in NHWC
  (prefer_nhwc=1, our CUDA default).
- The cross-attention (20 heads over the 300 text tokens) ran as MatMul -> Add(mask) -> Softmax -> MatMul on a
  batch x heads x tokens x 300 score tensor. Here it is ONNX Runtime's fused MultiHeadAttention (com.microsoft): the
  score tensor never reaches device memory. The text mask goes in as each sample's valid key length
  (key_padding_mask of shape (batch,)), not as an additive bias over every query: with a bias ONNX Runtime can only
  use its memory-efficient kernel, which took 1.06 ms per layer at 16 samples; with lengths the CUDA provider runs
  cuDNN's flash attention (the cuDNN bit of sdpa_kernel, in our CUDA defaults). Lengths assume the mask is a prefix
  of ones (right padding), which is what the pipeline's tokenizer gives; diffusers gave masked keys a weight of
  exp(-10000) = 0, so leaving them out is the same sum.
- Every reshape in the blocks has a constant target shape (0 = keep this dimension, -1 = the rest; onnx_reshape),
  or, for the feed-forward's token grid, one shape computed from the latent's size that ONNX Runtime shares across
  the blocks. Torch's own export computes each reshape's shape from the tensor at run time (Shape, Gather, Concat):
  in the profile that was 326 host copies of shape values per transformer run, each of which stalls the stream.
Everything else (modulation, norms, the linear self-attention with its float32 sums and PAG switch, residuals) is
the block's own arithmetic, written out below in the block's order. The exporter's check compares the graph with
diffusers' unmodified transformer.
"""

from __future__ import annotations

import functools
import types

import torch
import torch.nn.functional as F
from torch import nn

# The TorchScript exporter cannot write an empty name for an optional input that is left out; the fused attention is
# exported as this placeholder op (query, key, value, key_lengths) and rewritten to com.microsoft's
# MultiHeadAttention (query, key, value, bias="", key_padding_mask=key_lengths) after export.
PLACEHOLDER_DOMAIN = "sana.export"
PLACEHOLDER_OP = "MultiHeadAttention"
CUSTOM_OPSETS = {PLACEHOLDER_DOMAIN: 1}


class _Reshape(torch.autograd.Function):
    """x.reshape with ONNX's target-shape rules, exported as one Reshape whose shape input is a constant (or a Concat
    of constants and the given 1-D int64 tensors) instead of a subgraph of Shape/Gather/Concat on x."""

    @staticmethod
    def forward(ctx, x, *dims):  # noqa: ARG004 - ctx: autograd's
        return x.reshape(_resolve(x, dims))

    @staticmethod
    def symbolic(g, x, *dims):
        parts, constant = [], []
        for d in dims:
            if isinstance(d, int):
                constant.append(d)
                continue
            if constant:
                parts.append(g.op("Constant", value_t=torch.tensor(constant, dtype=torch.int64)))
                constant = []
            parts.append(d)
        if constant:
            parts.append(g.op("Constant", value_t=torch.tensor(constant, dtype=torch.int64)))
        shape = parts[0] if len(parts) == 1 else g.op("Concat", *parts, axis_i=0)
        return g.op("Reshape", x, shape)


def _resolve(x: torch.Tensor, dims) -> list[int]:
    """ONNX Reshape's target: 0 copies the input's dimension at that position, -1 is inferred, tensors are spliced."""
    out: list[int] = []
    for d in dims:
        if isinstance(d, int):
            out.append(x.shape[len(out)] if d == 0 else d)
        else:
            out.extend(int(v) for v in d.reshape(-1).tolist())
    return out


def onnx_reshape(x: torch.Tensor, *dims) -> torch.Tensor:
    """Reshape to dims (ints with ONNX's 0 = keep, -1 = infer; or 1-D int64 tensors of sizes known only at run time).
    A 0 needs a -1 beside it: torch's exporter asserts in its shape inference on a constant shape with a 0 and no -1."""
    ints = [d for d in dims if isinstance(d, int)]
    if ints.count(-1) != 1 and (0 in ints or ints.count(-1) > 1):
        raise ValueError(f"onnx_reshape{tuple(ints)}: a shape with a 0 needs exactly one -1")
    return _Reshape.apply(x, *dims)


class _PadRow(torch.autograd.Function):
    """Appends one row of `value` along dim 2 of a 4-D tensor; exported as Pad with constant pads (F.pad's export
    builds the pads from the tensor's shape at run time)."""

    @staticmethod
    def forward(ctx, x, value: float):  # noqa: ARG004 - ctx: autograd's
        return F.pad(x, (0, 0, 0, 1), mode="constant", value=value)

    @staticmethod
    def symbolic(g, x, value: float):
        pads = g.op("Constant", value_t=torch.tensor([0, 0, 0, 0, 0, 0, 1, 0], dtype=torch.int64))
        fill = g.op("CastLike", g.op("Constant", value_t=torch.tensor(value, dtype=torch.float32)), x)
        return g.op("Pad", x, pads, fill, mode_s="constant")


def pad_row(x: torch.Tensor, value: float) -> torch.Tensor:
    """x (B, H, R, N) -> (B, H, R + 1, N), the new last row all `value`."""
    return _PadRow.apply(x, value)


class _FusedAttention(torch.autograd.Function):
    """Scaled dot-product attention over heads, each sample's keys cut at its length; in the ONNX graph one
    MultiHeadAttention node."""

    @staticmethod
    def forward(ctx, query, key, value, key_lengths, heads: int):  # noqa: ARG004 - ctx: autograd's
        batch, queries, width = query.shape
        head_dim = width // heads
        q = query.view(batch, queries, heads, head_dim).transpose(1, 2)
        k = key.view(batch, key.shape[1], heads, head_dim).transpose(1, 2)
        v = value.view(batch, value.shape[1], heads, head_dim).transpose(1, 2)
        keep = torch.arange(key.shape[1], device=key.device)[None, :] < key_lengths.to(key.device)[:, None]
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep[:, None, None, :], dropout_p=0.0, is_causal=False)
        return out.transpose(1, 2).reshape(batch, queries, width).to(query.dtype)

    @staticmethod
    def symbolic(g, query, key, value, key_lengths, heads: int):
        out = g.op(f"{PLACEHOLDER_DOMAIN}::{PLACEHOLDER_OP}", query, key, value, key_lengths, num_heads_i=heads)
        out.setType(query.type())
        return out


def fused_attention(query, key, value, key_lengths, heads: int) -> torch.Tensor:
    """Attention over heads with each sample's keys cut at its length: one MultiHeadAttention node in the graph."""
    return _FusedAttention.apply(query, key, value, key_lengths, heads)


class ForwardInputs:
    """What the fused blocks read besides their arguments, set by the export wrapper before every forward: the text's
    valid key lengths (batch,) int32 and the latent's token grid (2,) int64 [height, width] in patches."""

    def __init__(self):
        self.key_lengths: torch.Tensor | None = None
        self.grid: torch.Tensor | None = None

    def set(self, hidden_states: torch.Tensor, encoder_attention_mask: torch.Tensor, patch_size: int) -> None:
        # the mask is a prefix of ones (right padding): its sum is where each sample's text ends
        self.key_lengths = encoder_attention_mask.to(torch.int32).sum(dim=1, dtype=torch.int32)
        self.grid = torch.div(torch._shape_as_tensor(hidden_states)[2:], patch_size, rounding_mode="floor")

    def clear(self) -> None:
        self.key_lengths = None
        self.grid = None


def project_qkv(attn, hidden_states, context=None):
    """An Attention module's query, key and value (keys and values from context when given), with its q/k norms."""
    context = hidden_states if context is None else context
    query = attn.to_q(hidden_states)
    key = attn.to_k(context)
    value = attn.to_v(context)
    if attn.norm_q is not None:
        query = attn.norm_q(query)
    if attn.norm_k is not None:
        key = attn.norm_k(key)
    return query, key, value


class FusedCrossAttnProcessor:
    """diffusers' SanaAttnProcessor2_0 (the cross-attention) with the attention itself as one fused node that takes the
    text's valid lengths (ForwardInputs) in place of diffusers' additive mask."""

    def __init__(self, inputs: ForwardInputs):
        self.inputs = inputs

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None):  # noqa: ARG002
        query, key, value = project_qkv(attn, hidden_states, encoder_hidden_states)
        out = fused_attention(query, key, value, self.inputs.key_lengths, attn.heads)
        out = attn.to_out[0](out)
        out = attn.to_out[1](out)
        return out / attn.rescale_output_factor


class TokenMajorGluMbConv(nn.Module):
    """diffusers' GLUMBConv (no norm, no residual, as in every Sana block) on (batch, tokens, channels) tokens."""

    def __init__(self, ff: nn.Module):
        super().__init__()
        if getattr(ff, "norm_type", None) is not None or getattr(ff, "residual_connection", False):
            raise RuntimeError("GLUMBConv with a norm or a residual connection is not a Sana block's feed-forward")
        hidden = ff.conv_point.in_channels
        channels = ff.conv_inverted.in_channels
        inverted_w = ff.conv_inverted.weight.detach().reshape(2 * hidden, channels)
        inverted_b = ff.conv_inverted.bias.detach()
        self.value_in = _linear(inverted_w[:hidden], inverted_b[:hidden])
        self.gate_in = _linear(inverted_w[hidden:], inverted_b[hidden:])
        self.value_depth = _depthwise(ff.conv_depth, 0, hidden)
        self.gate_depth = _depthwise(ff.conv_depth, hidden, 2 * hidden)
        self.point = _linear(ff.conv_point.weight.detach().reshape(ff.conv_point.out_channels, hidden), None)

    def forward(self, tokens: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
        value = self._depthwise(F.silu(self.value_in(tokens)), self.value_depth, grid)
        gate = self._depthwise(F.silu(self.gate_in(tokens)), self.gate_depth, grid)
        return self.point(value * F.silu(gate))

    @staticmethod
    def _depthwise(tokens, conv: nn.Conv2d, grid: torch.Tensor):
        # (B, H*W, C) -> (B, H, W, C) -> NCHW for ONNX Conv, and back; with prefer_nhwc the transposes fold away
        image = onnx_reshape(tokens, 0, grid, -1).permute(0, 3, 1, 2)
        return onnx_reshape(conv(image).permute(0, 2, 3, 1), 0, -1, conv.out_channels)


def _linear(weight: torch.Tensor, bias: torch.Tensor | None) -> nn.Linear:
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None, device=weight.device, dtype=weight.dtype)
    with torch.no_grad():
        layer.weight.copy_(weight)
        if bias is not None:
            layer.bias.copy_(bias)
    return layer


def _depthwise(conv: nn.Conv2d, start: int, end: int) -> nn.Conv2d:
    part = nn.Conv2d(end - start, end - start, conv.kernel_size, conv.stride, conv.padding, groups=end - start,
                     bias=conv.bias is not None, device=conv.weight.device, dtype=conv.weight.dtype)
    with torch.no_grad():
        part.weight.copy_(conv.weight[start:end])
        if conv.bias is not None:
            part.bias.copy_(conv.bias[start:end])
    return part


def _block_forward(self, hidden_states, attention_mask=None, encoder_hidden_states=None, encoder_attention_mask=None,
                   timestep=None, height=None, width=None, *, inputs: ForwardInputs):
    """SanaTransformerBlock.forward with the feed-forward on tokens (no NCHW round trip) and constant-shaped
    reshapes; the six modulation rows are sliced with constant bounds (torch's chunk computes them at run time)."""
    modulation = self.scale_shift_table[None] + onnx_reshape(timestep, 0, 6, -1)
    shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = (modulation[:, i:i + 1] for i in range(6))
    norm = self.norm1(hidden_states)
    norm = (norm * (1 + scale_msa) + shift_msa).to(hidden_states.dtype)
    hidden_states = hidden_states + gate_msa * self.attn1(norm)
    if self.attn2 is not None:
        hidden_states = self.attn2(hidden_states, encoder_hidden_states=encoder_hidden_states,
                                   attention_mask=encoder_attention_mask) + hidden_states
    norm = self.norm2(hidden_states)
    norm = norm * (1 + scale_mlp) + shift_mlp
    return hidden_states + gate_mlp * self.ff(norm, inputs.grid)


def fuse_for_onnx_runtime(transformer: nn.Module) -> ForwardInputs:
    """Rewires every block of a SanaTransformer2DModel in place (export only: the module is not diffusers' any more).
    Returns the ForwardInputs the caller sets before each forward (ForwardInputs.set) and clears after."""
    inputs = ForwardInputs()
    for block in transformer.transformer_blocks:
        block.ff = TokenMajorGluMbConv(block.ff)
        if block.attn2 is not None:
            block.attn2.set_processor(FusedCrossAttnProcessor(inputs))
        block.forward = types.MethodType(functools.partial(_block_forward, inputs=inputs), block)
    return inputs


def rewrite_placeholders(model) -> int:
    """Turns the placeholder attention nodes into com.microsoft MultiHeadAttention; returns how many were rewritten."""
    import onnx

    rewritten = 0
    for node in model.graph.node:
        if node.domain == PLACEHOLDER_DOMAIN and node.op_type == PLACEHOLDER_OP:
            inputs = list(node.input)
            del node.input[:]
            node.input.extend(inputs[:3] + [""] + inputs[3:4])  # key_lengths -> key_padding_mask (input 4)
            node.domain = "com.microsoft"
            rewritten += 1
    kept = [o for o in model.opset_import if o.domain != PLACEHOLDER_DOMAIN]
    del model.opset_import[:]
    model.opset_import.extend(kept)
    if rewritten and not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))
    return rewritten
