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
  batch x heads x tokens x 300 score tensor. Here it is ONNX Runtime's fused MultiHeadAttention (com.microsoft) with
  the text mask as an additive attention bias: the score tensor never reaches device memory.
Everything else (modulation, norms, the linear self-attention with its float32 sums and PAG switch, residuals) is
the block's own arithmetic, written out below in the block's order. The exporter's check compares the graph with
diffusers' unmodified transformer.
"""

from __future__ import annotations

import types

import torch
import torch.nn.functional as F
from torch import nn

# The TorchScript exporter cannot write an empty name for an optional input that is left out; the fused attention is
# exported as this placeholder op (query, key, value[, attention_bias]) and rewritten to com.microsoft's
# MultiHeadAttention (query, key, value, bias="", key_padding_mask="", attention_bias) after export.
PLACEHOLDER_DOMAIN = "sana.export"
PLACEHOLDER_OP = "MultiHeadAttention"
CUSTOM_OPSETS = {PLACEHOLDER_DOMAIN: 1}


class _FusedAttention(torch.autograd.Function):
    """Scaled dot-product attention over heads; in the ONNX graph one MultiHeadAttention node."""

    @staticmethod
    def forward(ctx, query, key, value, attention_bias, heads: int):  # noqa: ARG004 - ctx: autograd's
        batch, queries, width = query.shape
        head_dim = width // heads
        q = query.view(batch, queries, heads, head_dim).transpose(1, 2)
        k = key.view(batch, key.shape[1], heads, head_dim).transpose(1, 2)
        v = value.view(batch, value.shape[1], heads, head_dim).transpose(1, 2)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=attention_bias, dropout_p=0.0, is_causal=False)
        return out.transpose(1, 2).reshape(batch, queries, width).to(query.dtype)

    @staticmethod
    def symbolic(g, query, key, value, attention_bias, heads: int):
        inputs = [query, key, value] + ([] if attention_bias is None or _is_none(attention_bias) else [attention_bias])
        out = g.op(f"{PLACEHOLDER_DOMAIN}::{PLACEHOLDER_OP}", *inputs, num_heads_i=heads)
        out.setType(query.type())
        return out


def _is_none(value) -> bool:
    return value.node().mustBeNone() if hasattr(value, "node") else value is None


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
    """diffusers' SanaAttnProcessor2_0 (the cross-attention) with the attention itself as one fused node."""

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None):
        query, key, value = project_qkv(attn, hidden_states, encoder_hidden_states)
        bias = None
        if attention_mask is not None:
            # the transformer made the text mask an additive bias (batch, 1, text); diffusers broadcasts it over heads
            # and queries; MultiHeadAttention wants it as (batch, 1, queries, text)
            bias = attention_mask.to(query.dtype).unsqueeze(1).expand(-1, -1, hidden_states.shape[1], -1)
        out = _FusedAttention.apply(query, key, value, bias, attn.heads)
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

    def forward(self, tokens: torch.Tensor, height, width) -> torch.Tensor:
        value = self._depthwise(F.silu(self.value_in(tokens)), self.value_depth, height, width)
        gate = self._depthwise(F.silu(self.gate_in(tokens)), self.gate_depth, height, width)
        return self.point(value * F.silu(gate))

    @staticmethod
    def _depthwise(tokens, conv: nn.Conv2d, height, width):
        grid = tokens.unflatten(1, (height, width)).permute(0, 3, 1, 2)  # NCHW for ONNX Conv
        return conv(grid).permute(0, 2, 3, 1).flatten(1, 2)


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
                   timestep=None, height=None, width=None):
    """SanaTransformerBlock.forward with the feed-forward on tokens (no NCHW round trip)."""
    batch = hidden_states.shape[0]
    shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = (
        self.scale_shift_table[None] + timestep.reshape(batch, 6, -1)).chunk(6, dim=1)
    norm = self.norm1(hidden_states)
    norm = (norm * (1 + scale_msa) + shift_msa).to(hidden_states.dtype)
    hidden_states = hidden_states + gate_msa * self.attn1(norm)
    if self.attn2 is not None:
        hidden_states = self.attn2(hidden_states, encoder_hidden_states=encoder_hidden_states,
                                   attention_mask=encoder_attention_mask) + hidden_states
    norm = self.norm2(hidden_states)
    norm = norm * (1 + scale_mlp) + shift_mlp
    return hidden_states + gate_mlp * self.ff(norm, height, width)


def fuse_for_onnx_runtime(transformer: nn.Module) -> None:
    """Rewires every block of a SanaTransformer2DModel in place (export only: the module is not diffusers' any more)."""
    for block in transformer.transformer_blocks:
        block.ff = TokenMajorGluMbConv(block.ff)
        if block.attn2 is not None:
            block.attn2.set_processor(FusedCrossAttnProcessor())
        block.forward = types.MethodType(_block_forward, block)


def rewrite_placeholders(model) -> int:
    """Turns the placeholder attention nodes into com.microsoft MultiHeadAttention; returns how many were rewritten."""
    import onnx

    rewritten = 0
    for node in model.graph.node:
        if node.domain == PLACEHOLDER_DOMAIN and node.op_type == PLACEHOLDER_OP:
            inputs = list(node.input)
            bias = inputs[3:4]
            del node.input[:]
            node.input.extend(inputs[:3] + ["", ""] + bias)
            node.domain = "com.microsoft"
            rewritten += 1
    kept = [o for o in model.opset_import if o.domain != PLACEHOLDER_DOMAIN]
    del model.opset_import[:]
    model.opset_import.extend(kept)
    if rewritten and not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))
    return rewritten
