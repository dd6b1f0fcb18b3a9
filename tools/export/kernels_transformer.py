"""The Sana transformer as a graph of our custom ops (the sana.kernels domain of src/Sana.Kernels) between the GEMMs:
the exporter's `transformer_kernels` part, written beside the portable graph (transformer/model.onnx) and picked by the
runtime on CUDA when the kernel library is loaded.

What runs where, per block (diffusers' SanaTransformerBlock, the same arithmetic):
- q, k and v as one GEMM (the three weights side by side), then LinearAttentionState (k and v reduced to the float32
  state of each head) and LinearAttention (q through the state, the division; PAG's identity attention for perturbed
  samples) instead of some twenty element-wise, transpose and float32 nodes;
- the attention output's GEMM without its bias, then GatedResidual (bias, fp16 clip, gate, residual);
- the cross-attention as in the portable graph (MultiHeadAttention with the text's key lengths), its output GEMM
  without bias, then ResidualModulatedNorm (bias, residual, the feed-forward's modulated norm);
- the feed-forward's two input GEMMs as one, then DepthwiseConvGlu (bias, SiLU, depthwise 3x3 on the token grid,
  value x SiLU(gate)), the output GEMM, then ResidualModulatedNorm with the gate and the next block's norm (or the
  model's final norm after the last block).
The ops' semantics are in src/Sana.Kernels/README.md; kernels_ops.py has them as PyTorch custom operators for tracing. The exporter checks the graph against diffusers' unmodified transformer like the portable one.
"""

from __future__ import annotations

import torch
from torch import nn

from kernels_ops import (
    DOMAIN,
    depthwise_conv_glu,
    gated_residual,
    linear_attention,
    linear_attention_state,
    modulated_norm,
    reshape_like,
    residual_modulated_norm,
)
from ort_transformer import PLACEHOLDER_DOMAIN, fused_attention, onnx_reshape, project_qkv
OPSET_VERSION = 1
CUSTOM_OPSETS = {DOMAIN: OPSET_VERSION, PLACEHOLDER_DOMAIN: 1}
CUDA_HEAD_DIMS = (8, 16, 32, 64)  # the head sizes the CUDA linear-attention kernels are built for


def unsupported(transformer: nn.Module) -> str | None:
    """Why this transformer has no kernels graph (None when it can have one): the ops cover Sana's own blocks."""
    cfg = transformer.config
    if getattr(cfg, "guidance_embeds", False):
        return "guidance embeddings (Sana Sprint)"
    if cfg.qk_norm is not None:
        return f"qk_norm {cfg.qk_norm}"
    if cfg.interpolation_scale is not None or transformer.patch_embed.pos_embed is not None:
        return "a position embedding"
    if getattr(transformer.patch_embed, "layer_norm", False):
        return "a patch-embedding norm"
    if cfg.patch_size != 1 or (cfg.out_channels or cfg.in_channels) != cfg.in_channels:
        return "patch size or output channels other than Sana's (1, the input's)"
    for i, block in enumerate(transformer.transformer_blocks):
        if block.attn2 is None:
            return f"block {i} has no cross-attention"
        if block.attn2.rescale_output_factor != 1.0:
            return f"block {i}'s cross-attention rescales its output"
        ff = block.ff
        if getattr(ff, "norm_type", None) is not None or getattr(ff, "residual_connection", False):
            return f"block {i}'s feed-forward has a norm or a residual"
        if tuple(ff.conv_depth.kernel_size) != (3, 3) or tuple(ff.conv_depth.padding) != (1, 1):
            return f"block {i}'s depthwise convolution is not 3x3 with padding 1"
    return None


def _linear(weight: torch.Tensor) -> nn.Linear:
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias=False, device=weight.device, dtype=weight.dtype)
    with torch.no_grad():
        layer.weight.copy_(weight)
    return layer


def _bias(layer_or_tensor, like: torch.Tensor) -> torch.Tensor:
    """A bias as the ops take it: the tensor, or an empty one for none."""
    b = getattr(layer_or_tensor, "bias", layer_or_tensor)
    return b.detach().clone() if b is not None else like.new_zeros(0)


class KernelBlock(nn.Module):
    """One block's weights laid out for the ops: q/k/v side by side, the feed-forward's two halves side by side, the
    depthwise kernel as [3, 3, channels], every bias apart from its GEMM."""

    def __init__(self, block: nn.Module):
        super().__init__()
        a1, ff = block.attn1, block.ff
        w = a1.to_q.weight
        self.qkv = _linear(torch.cat([a1.to_q.weight, a1.to_k.weight, a1.to_v.weight], 0).detach())
        biases = [m.bias for m in (a1.to_q, a1.to_k, a1.to_v)]
        qkv_bias = torch.cat([b.detach() for b in biases]) if all(b is not None for b in biases) else w.new_zeros(0)
        self.register_buffer("qkv_bias", qkv_bias)
        self.attn_out = _linear(a1.to_out[0].weight.detach())
        self.register_buffer("attn_out_bias", _bias(a1.to_out[0], w))
        self.cross = block.attn2
        self.cross_out = _linear(block.attn2.to_out[0].weight.detach())
        self.register_buffer("cross_out_bias", _bias(block.attn2.to_out[0], w))
        hidden2 = ff.conv_inverted.out_channels
        self.ff_in = _linear(ff.conv_inverted.weight.detach().reshape(hidden2, -1))
        self.register_buffer("ff_in_bias", _bias(ff.conv_inverted, w))
        self.register_buffer("ff_depth_weight", ff.conv_depth.weight.detach().reshape(hidden2, 9).t().reshape(3, 3, hidden2).contiguous())
        self.register_buffer("ff_depth_bias", _bias(ff.conv_depth, w) if ff.conv_depth.bias is not None else w.new_zeros(hidden2))
        self.ff_out = _linear(ff.conv_point.weight.detach().reshape(ff.conv_point.out_channels, -1))
        self.register_buffer("scale_shift_table", block.scale_shift_table.detach().clone())
        self.register_buffer("no_bias", w.new_zeros(0))
        self.heads = a1.heads
        self.norm_eps = (block.norm1.eps, block.norm2.eps)


class KernelsTransformer(nn.Module):
    """SanaTransformer2DModel's forward with its blocks as our ops; the graph's inputs and output are the portable
    graph's (export_sana.TransformerForExport), so the runtime drives both the same way."""

    def __init__(self, transformer: nn.Module):
        super().__init__()
        reason = unsupported(transformer)
        if reason is not None:
            raise ValueError(f"no kernels graph for this transformer: {reason}")
        self.t = transformer
        self.blocks = nn.ModuleList(KernelBlock(b) for b in transformer.transformer_blocks)
        self.fp16 = transformer.dtype == torch.float16
        self.width = transformer.config.num_attention_heads * transformer.config.attention_head_dim

    def forward(self, hidden_states, encoder_hidden_states, encoder_attention_mask, timestep, pag_layer_mask,
                pag_sample_mask):
        t = self.t
        # the mask is a prefix of ones (right padding): its sum is where each sample's text ends
        key_lengths = encoder_attention_mask.to(torch.int32).sum(dim=1, dtype=torch.int32)
        x = onnx_reshape(t.patch_embed.proj(hidden_states), 0, self.width, -1).transpose(1, 2)  # B, N, D
        temb, embedded = t.time_embed(timestep, batch_size=hidden_states.shape[0], hidden_dtype=x.dtype)
        text = t.caption_norm(t.caption_projection(encoder_hidden_states))
        temb6 = onnx_reshape(temb, 0, 6, -1)
        mods = [b.scale_shift_table[None] + temb6 for b in self.blocks]
        final = t.scale_shift_table[None] + embedded[:, None]  # rows: shift, scale
        clip = 1 if self.fp16 else 0
        norm = modulated_norm(x, mods[0], 0, 1, self.blocks[0].norm_eps[0])
        for i, block in enumerate(self.blocks):
            qkv = block.qkv(norm)
            state = linear_attention_state(qkv, block.qkv_bias, block.heads)
            attn = linear_attention(qkv, block.qkv_bias, state, pag_layer_mask, pag_sample_mask, block.heads, i,
                                         1e-15)
            x = gated_residual(x, block.attn_out(attn), block.attn_out_bias, mods[i], 2, clip)
            query, key, value = project_qkv(block.cross, x, text)
            cross = fused_attention(query, key, value, key_lengths, block.cross.heads)
            # no gate here (gate_row -1): the gate input is not read; temb6 rather than mods[i] a second time, since
            # torch's exporter fails on a custom node that takes one value twice
            x, norm = residual_modulated_norm(x, block.cross_out(cross), block.cross_out_bias, temb6, mods[i], -1,
                                                  3, 4, block.norm_eps[1], 0)
            glu = depthwise_conv_glu(block.ff_in(norm), block.ff_in_bias, block.ff_depth_weight, block.ff_depth_bias,
                                         hidden_states, 1)
            last = i + 1 == len(self.blocks)
            next_mod, eps = (final, t.norm_out.norm.eps) if last else (mods[i + 1], self.blocks[i + 1].norm_eps[0])
            x, norm = residual_modulated_norm(x, block.ff_out(glu), block.no_bias, mods[i],
                                                  next_mod, 5, 0, 1, eps, 0)
        out = t.proj_out(norm).transpose(1, 2)  # B, C, N
        return reshape_like(out, hidden_states)
