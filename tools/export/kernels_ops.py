"""The sana.kernels ops as PyTorch custom operators (torch.library) for the kernels graph's export: the TorchScript
tracer records each as one node of its own, and register_symbolics turns each node into the sana.kernels op of
src/Sana.Kernels (semantics in its README). Each implementation is the op's maths in PyTorch, used while tracing.
Why custom operators and not autograd Functions with a symbolic: torch 2.11's exporter failed on the traced subgraphs of
those Functions (IndexError in _jit_pass_peephole, benchmarks/results/2026-12-07-h100-kernels/). No
`from __future__ import annotations` here: torch.library reads the signatures' annotations as types.
"""

import torch
import torch.nn.functional as F

DOMAIN = "sana.kernels"


def _symbolic_api():
    """torch's TorchScript-exporter helpers (moved under torch.onnx._internal in torch 2.9)."""
    try:
        from torch.onnx import register_custom_op_symbolic
        from torch.onnx.symbolic_helper import parse_args
    except ImportError:  # pragma: no cover - depends on the torch version
        from torch.onnx._internal.torchscript_exporter.symbolic_helper import parse_args
        from torch.onnx._internal.torchscript_exporter.utils import register_custom_op_symbolic
    return register_custom_op_symbolic, parse_args


def _rounded(v: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return v.to(dtype).float()


def _with_bias(y: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """y + bias as the GEMM's epilogue would store it, in float32; an empty bias is none."""
    return _rounded(y.float() + bias.float(), y.dtype) if bias.numel() else y.float()


def _modulated_norm(v: torch.Tensor, mod: torch.Tensor, shift_row: int, scale_row: int, eps: float) -> torch.Tensor:
    normed = F.layer_norm(v, (v.shape[-1],), eps=eps)
    return normed * (1 + mod[:, scale_row:scale_row + 1].float()) + mod[:, shift_row:shift_row + 1].float()


def _projections(qkv: torch.Tensor, bias: torch.Tensor, heads: int):
    batch, tokens, width3 = qkv.shape
    width = width3 // 3
    p = _with_bias(qkv, bias)
    q, k, v = (p[..., i * width:(i + 1) * width].reshape(batch, tokens, heads, width // heads) for i in range(3))
    return q.clamp_min(0), k.clamp_min(0), v


@torch.library.custom_op("sana_kernels::modulated_norm", mutates_args=())
def modulated_norm(x: torch.Tensor, mod: torch.Tensor, shift_row: int, scale_row: int, eps: float) -> torch.Tensor:
    return _modulated_norm(x.float(), mod, shift_row, scale_row, eps).to(x.dtype)


@torch.library.custom_op("sana_kernels::gated_residual", mutates_args=())
def gated_residual(x: torch.Tensor, y: torch.Tensor, bias: torch.Tensor, mod: torch.Tensor, gate_row: int,
                   clip: int) -> torch.Tensor:
    yy = _with_bias(y, bias)
    if clip:
        yy = yy.clamp(-65504, 65504)
    return (x.float() + mod[:, gate_row:gate_row + 1].float() * yy).to(x.dtype)


@torch.library.custom_op("sana_kernels::residual_modulated_norm", mutates_args=())
def residual_modulated_norm(x: torch.Tensor, y: torch.Tensor, bias: torch.Tensor, gate_mod: torch.Tensor,
                            norm_mod: torch.Tensor, gate_row: int, shift_row: int, scale_row: int, eps: float,
                            clip: int) -> tuple[torch.Tensor, torch.Tensor]:
    yy = _with_bias(y, bias)
    if clip:
        yy = yy.clamp(-65504, 65504)
    gate = gate_mod[:, gate_row:gate_row + 1].float() if gate_row >= 0 else 1.0
    x_out = (x.float() + gate * yy).to(x.dtype)
    return x_out, _modulated_norm(x_out.float(), norm_mod, shift_row, scale_row, eps).to(x.dtype)


@torch.library.custom_op("sana_kernels::linear_attention_state", mutates_args=())
def linear_attention_state(qkv: torch.Tensor, bias: torch.Tensor, heads: int) -> torch.Tensor:
    _, k, v = _projections(qkv, bias, heads)
    vk = torch.einsum("bnhi,bnhj->bhij", v, k)
    return torch.cat([vk, k.sum(1)[:, :, None, :]], dim=2)


@torch.library.custom_op("sana_kernels::linear_attention", mutates_args=())
def linear_attention(qkv: torch.Tensor, bias: torch.Tensor, state: torch.Tensor, layer_mask: torch.Tensor,
                     sample_mask: torch.Tensor, heads: int, layer: int, eps: float) -> torch.Tensor:
    q, _, v = _projections(qkv, bias, heads)
    batch, tokens, _, head_dim = q.shape
    num = torch.einsum("bhij,bnhj->bnhi", state[:, :, :head_dim], q)
    den = torch.einsum("bhj,bnhj->bnh", state[:, :, head_dim], q)[..., None]
    out = (num / (den + eps)).reshape(batch, tokens, heads * head_dim)
    identity = (layer_mask[layer] * sample_mask > 0.5).reshape(batch, 1, 1)
    return torch.where(identity, v.reshape(batch, tokens, -1), out).to(qkv.dtype)


@torch.library.custom_op("sana_kernels::depthwise_conv_glu", mutates_args=())
def depthwise_conv_glu(h: torch.Tensor, bias_in: torch.Tensor, weight: torch.Tensor, bias_dw: torch.Tensor,
                       grid_source: torch.Tensor, patch_size: int) -> torch.Tensor:
    batch, tokens, c2 = h.shape
    height, width = grid_source.shape[2] // patch_size, grid_source.shape[3] // patch_size
    act = F.silu(_with_bias(h, bias_in))
    image = act.reshape(batch, height, width, c2).permute(0, 3, 1, 2)
    kernel = weight.float().permute(2, 0, 1).reshape(c2, 1, 3, 3)
    conv = F.conv2d(image, kernel, bias_dw.float(), padding=1, groups=c2).permute(0, 2, 3, 1).reshape(batch, tokens, c2)
    value, gate = conv.chunk(2, dim=-1)
    return (value * F.silu(gate)).to(h.dtype)


@torch.library.custom_op("sana_kernels::reshape_like", mutates_args=())
def reshape_like(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """x reshaped to `like`'s shape, exported as Reshape(x, Shape(like)): no arithmetic on shapes in the graph."""
    return x.reshape(like.shape).clone()


def register_symbolics(opset: int) -> None:
    """Maps each custom operator to its sana.kernels node for torch.onnx.export (TorchScript exporter)."""
    register, parse_args = _symbolic_api()

    @parse_args("v", "v", "i", "i", "f")
    def modulated_norm_op(g, x, mod, shift_row, scale_row, eps):
        return g.op(f"{DOMAIN}::ModulatedNorm", x, mod, shift_row_i=shift_row, scale_row_i=scale_row, epsilon_f=eps)

    @parse_args("v", "v", "v", "v", "i", "i")
    def gated_residual_op(g, x, y, bias, mod, gate_row, clip):
        return g.op(f"{DOMAIN}::GatedResidual", x, y, bias, mod, gate_row_i=gate_row, clip_i=clip)

    @parse_args("v", "v", "v", "v", "v", "i", "i", "i", "f", "i")
    def residual_modulated_norm_op(g, x, y, bias, gate_mod, norm_mod, gate_row, shift_row, scale_row, eps, clip):
        return g.op(f"{DOMAIN}::ResidualModulatedNorm", x, y, bias, gate_mod, norm_mod, gate_row_i=gate_row,
                    shift_row_i=shift_row, scale_row_i=scale_row, epsilon_f=eps, clip_i=clip, outputs=2)

    @parse_args("v", "v", "i")
    def linear_attention_state_op(g, qkv, bias, heads):
        return g.op(f"{DOMAIN}::LinearAttentionState", qkv, bias, heads_i=heads)

    @parse_args("v", "v", "v", "v", "v", "i", "i", "f")
    def linear_attention_op(g, qkv, bias, state, layer_mask, sample_mask, heads, layer, eps):
        return g.op(f"{DOMAIN}::LinearAttention", qkv, bias, state, layer_mask, sample_mask, heads_i=heads, layer_i=layer,
                    epsilon_f=eps)

    @parse_args("v", "v", "v", "v", "v", "i")
    def depthwise_conv_glu_op(g, h, bias_in, weight, bias_dw, grid_source, patch_size):
        return g.op(f"{DOMAIN}::DepthwiseConvGlu", h, bias_in, weight, bias_dw, grid_source, patch_size_i=patch_size)

    def reshape_like_op(g, x, like):
        return g.op("Reshape", x, g.op("Shape", like))

    for name, fn in (("modulated_norm", modulated_norm_op), ("gated_residual", gated_residual_op),
                     ("residual_modulated_norm", residual_modulated_norm_op),
                     ("linear_attention_state", linear_attention_state_op), ("linear_attention", linear_attention_op),
                     ("depthwise_conv_glu", depthwise_conv_glu_op), ("reshape_like", reshape_like_op)):
        register(f"sana_kernels::{name}", fn, opset)
