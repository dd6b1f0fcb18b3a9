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
The ops' semantics are in src/Sana.Kernels/README.md; each Function's forward below is the same maths in PyTorch, used
while tracing. The exporter checks the graph against diffusers' unmodified transformer like the portable one.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ort_transformer import PLACEHOLDER_DOMAIN, fused_attention, onnx_reshape, project_qkv

DOMAIN = "sana.kernels"
OPSET_VERSION = 1
CUSTOM_OPSETS = {DOMAIN: OPSET_VERSION, PLACEHOLDER_DOMAIN: 1}
CUDA_HEAD_DIMS = (8, 16, 32, 64)  # the head sizes the CUDA linear-attention kernels are built for


def _typed(out, like, sizes=None, dtype=None):
    """Gives a custom node's output the type of `like` (with other sizes or element type) for torch's shape inference;
    ONNX Runtime infers the real one from the op's kernels, so a failure here only costs a warning."""
    try:
        t = like.type()
        if dtype is not None:
            t = t.with_dtype(dtype)
        if sizes is not None:
            t = t.with_sizes(sizes)
        out.setType(t)
    except (AttributeError, RuntimeError, TypeError):
        pass
    return out


def _rounded(v: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return v.to(dtype).float()


def _with_bias(y: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """y + bias as the GEMM's epilogue would store it, in float32; an empty bias is none."""
    return _rounded(y.float() + bias.float(), y.dtype) if bias.numel() else y.float()


def _modulated_norm(v: torch.Tensor, mod: torch.Tensor, shift_row: int, scale_row: int, eps: float) -> torch.Tensor:
    normed = F.layer_norm(v, (v.shape[-1],), eps=eps)
    return normed * (1 + mod[:, scale_row:scale_row + 1].float()) + mod[:, shift_row:shift_row + 1].float()


class ModulatedNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, mod, shift_row: int, scale_row: int, eps: float):  # noqa: ARG004 - ctx: autograd's
        return _modulated_norm(x.float(), mod, shift_row, scale_row, eps).to(x.dtype)

    @staticmethod
    def symbolic(g, x, mod, shift_row: int, scale_row: int, eps: float):
        out = g.op(f"{DOMAIN}::ModulatedNorm", x, mod, shift_row_i=shift_row, scale_row_i=scale_row, epsilon_f=eps)
        return _typed(out, x)


class GatedResidual(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, y, bias, mod, gate_row: int, clip: int):  # noqa: ARG004
        yy = _with_bias(y, bias)
        if clip:
            yy = yy.clamp(-65504, 65504)
        return (x.float() + mod[:, gate_row:gate_row + 1].float() * yy).to(x.dtype)

    @staticmethod
    def symbolic(g, x, y, bias, mod, gate_row: int, clip: int):
        return _typed(g.op(f"{DOMAIN}::GatedResidual", x, y, bias, mod, gate_row_i=gate_row, clip_i=clip), x)


class ResidualModulatedNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, y, bias, gate_mod, norm_mod, gate_row: int, shift_row: int, scale_row: int, eps: float,  # noqa: ARG004
                clip: int):
        yy = _with_bias(y, bias)
        if clip:
            yy = yy.clamp(-65504, 65504)
        gate = gate_mod[:, gate_row:gate_row + 1].float() if gate_row >= 0 else 1.0
        x_out = (x.float() + gate * yy).to(x.dtype)
        return x_out, _modulated_norm(x_out.float(), norm_mod, shift_row, scale_row, eps).to(x.dtype)

    @staticmethod
    def symbolic(g, x, y, bias, gate_mod, norm_mod, gate_row: int, shift_row: int, scale_row: int, eps: float,
                 clip: int):
        x_out, norm = g.op(f"{DOMAIN}::ResidualModulatedNorm", x, y, bias, gate_mod, norm_mod, gate_row_i=gate_row,
                           shift_row_i=shift_row, scale_row_i=scale_row, epsilon_f=eps, clip_i=clip, outputs=2)
        return _typed(x_out, x), _typed(norm, x)


def _projections(qkv: torch.Tensor, bias: torch.Tensor, heads: int):
    batch, tokens, width3 = qkv.shape
    width = width3 // 3
    p = _with_bias(qkv, bias)
    q, k, v = (p[..., i * width:(i + 1) * width].reshape(batch, tokens, heads, width // heads) for i in range(3))
    return q.clamp_min(0), k.clamp_min(0), v


class LinearAttentionState(torch.autograd.Function):
    @staticmethod
    def forward(ctx, qkv, bias, heads: int):  # noqa: ARG004
        _, k, v = _projections(qkv, bias, heads)
        vk = torch.einsum("bnhi,bnhj->bhij", v, k)
        return torch.cat([vk, k.sum(1)[:, :, None, :]], dim=2)

    @staticmethod
    def symbolic(g, qkv, bias, heads: int):
        out = g.op(f"{DOMAIN}::LinearAttentionState", qkv, bias, heads_i=heads)
        return _typed(out, qkv, sizes=[None, heads, None, None], dtype=torch.float32)


class LinearAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, qkv, bias, state, layer_mask, sample_mask, heads: int, layer: int, eps: float):  # noqa: ARG004
        q, _, v = _projections(qkv, bias, heads)
        batch, tokens, _, head_dim = q.shape
        num = torch.einsum("bhij,bnhj->bnhi", state[:, :, :head_dim], q)
        den = torch.einsum("bhj,bnhj->bnh", state[:, :, head_dim], q)[..., None]
        out = (num / (den + eps)).reshape(batch, tokens, heads * head_dim)
        identity = (layer_mask[layer] * sample_mask > 0.5).reshape(batch, 1, 1)
        return torch.where(identity, v.reshape(batch, tokens, -1), out).to(qkv.dtype)

    @staticmethod
    def symbolic(g, qkv, bias, state, layer_mask, sample_mask, heads: int, layer: int, eps: float):
        out = g.op(f"{DOMAIN}::LinearAttention", qkv, bias, state, layer_mask, sample_mask, heads_i=heads, layer_i=layer,
                   epsilon_f=eps)
        return _typed(out, qkv, sizes=[None, None, None])


class DepthwiseConvGlu(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h, bias_in, weight, bias_dw, grid_source, patch_size: int):  # noqa: ARG004
        batch, tokens, c2 = h.shape
        height, width = grid_source.shape[2] // patch_size, grid_source.shape[3] // patch_size
        act = F.silu(_with_bias(h, bias_in))
        image = act.reshape(batch, height, width, c2).permute(0, 3, 1, 2)
        kernel = weight.float().permute(2, 0, 1).reshape(c2, 1, 3, 3)
        conv = F.conv2d(image, kernel, bias_dw.float(), padding=1, groups=c2).permute(0, 2, 3, 1).reshape(batch, tokens, c2)
        value, gate = conv.chunk(2, dim=-1)
        return (value * F.silu(gate)).to(h.dtype)

    @staticmethod
    def symbolic(g, h, bias_in, weight, bias_dw, grid_source, patch_size: int):
        out = g.op(f"{DOMAIN}::DepthwiseConvGlu", h, bias_in, weight, bias_dw, grid_source, patch_size_i=patch_size)
        return _typed(out, h, sizes=[None, None, None])


class _ReshapeLike(torch.autograd.Function):
    """x reshaped to `like`'s shape, exported as Reshape(x, Shape(like)): no arithmetic on shapes in the graph."""

    @staticmethod
    def forward(ctx, x, like):  # noqa: ARG004
        return x.reshape(like.shape)

    @staticmethod
    def symbolic(g, x, like):
        return _typed(g.op("Reshape", x, g.op("Shape", like)), like)


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
        norm = ModulatedNorm.apply(x, mods[0], 0, 1, self.blocks[0].norm_eps[0])
        for i, block in enumerate(self.blocks):
            qkv = block.qkv(norm)
            state = LinearAttentionState.apply(qkv, block.qkv_bias, block.heads)
            attn = LinearAttention.apply(qkv, block.qkv_bias, state, pag_layer_mask, pag_sample_mask, block.heads, i,
                                         1e-15)
            x = GatedResidual.apply(x, block.attn_out(attn), block.attn_out_bias, mods[i], 2, clip)
            query, key, value = project_qkv(block.cross, x, text)
            cross = fused_attention(query, key, value, key_lengths, block.cross.heads)
            x, norm = ResidualModulatedNorm.apply(x, block.cross_out(cross), block.cross_out_bias, mods[i], mods[i], -1,
                                                  3, 4, block.norm_eps[1], 0)
            glu = DepthwiseConvGlu.apply(block.ff_in(norm), block.ff_in_bias, block.ff_depth_weight, block.ff_depth_bias,
                                         hidden_states, 1)
            last = i + 1 == len(self.blocks)
            next_mod, eps = (final, t.norm_out.norm.eps) if last else (mods[i + 1], self.blocks[i + 1].norm_eps[0])
            x, norm = ResidualModulatedNorm.apply(x, block.ff_out(glu), block.no_bias, mods[i],
                                                  next_mod, 5, 0, 1, eps, 0)
        out = t.proj_out(norm).transpose(1, 2)  # B, C, N
        return _ReshapeLike.apply(out, hidden_states)
