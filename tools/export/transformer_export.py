"""The transformer's two graphs: the portable one (standard ONNX plus ONNX Runtime's MultiHeadAttention;
transformer/model.onnx, --transformer-graph fused or reference) and the kernels graph (our sana.kernels ops between the
GEMMs; transformer_kernels/model.onnx, kernels_transformer.py). Both take the same inputs, with PAG's switch on every
block's self-attention, and both are checked against diffusers' unmodified transformer on other batch sizes, sizes
and PAG settings than the traced ones.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import kernels_transformer
from kernels_ops import register_symbolics
from onnx_export import DTYPES, compare, export_graph, ort_session, run_check, to_np
from sana_common import log
from ort_transformer import CUSTOM_OPSETS, fuse_for_onnx_runtime, onnx_reshape, pad_row, project_qkv, rewrite_placeholders

MAX_SEQUENCE_LENGTH = 300
INPUT_NAMES = ["hidden_states", "encoder_hidden_states", "encoder_attention_mask", "timestep", "pag_layer_mask",
               "pag_sample_mask"]
DYNAMIC_AXES = {"hidden_states": {0: "B", 2: "h", 3: "w"}, "encoder_hidden_states": {0: "B", 1: "L"},
                "encoder_attention_mask": {0: "B", 1: "L"}, "timestep": {0: "B"}, "pag_sample_mask": {0: "B"},
                "velocity": {0: "B", 2: "h", 3: "w"}}


class PagSwitchLinearAttnProcessor:
    """Sana's linear self-attention (ReLU kernels, sums in float32) for export, with PAG's identity attention
    for the samples whose `perturb` flag is 1: their attention output is to_v(x), fed to to_out like the rest."""

    def __init__(self):
        self.perturb: torch.Tensor | None = None  # float [B], set by the wrapper before every forward

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None):
        dtype = hidden_states.dtype
        query, key, value = project_qkv(attn, hidden_states)
        heads = attn.heads
        head_dim = attn.to_v.out_features // heads  # a Python int: the graph slices with constants, never -1
        width = heads * head_dim
        # heads split with constant-shaped reshapes, transposed while still in the model's dtype (half the bytes),
        # then float32 for the sums; relu, the transposes and the row of ones are exact in any dtype
        q = onnx_reshape(F.relu(query), 0, -1, heads, head_dim).permute(0, 2, 3, 1).float()  # B, H, d, N
        k = onnx_reshape(F.relu(key), 0, -1, heads, head_dim).permute(0, 2, 1, 3).float()  # B, H, N, d
        v = pad_row(onnx_reshape(value, 0, -1, heads, head_dim).permute(0, 2, 3, 1), 1.0).float()  # B, H, d + 1, N
        vk = torch.matmul(v, k)  # B, H, d + 1, d
        out = torch.matmul(vk, q)  # B, H, d + 1, N
        out = out.narrow(2, 0, head_dim) / (out.narrow(2, head_dim, 1) + 1e-15)
        out = onnx_reshape(out.to(dtype).permute(0, 3, 1, 2), 0, -1, width)  # B, N, H * d
        if self.perturb is not None:
            identity = self.perturb.reshape(-1, 1, 1) > 0.5
            out = torch.where(identity, value.to(dtype), out)
        out = attn.to_out[0](out)
        out = attn.to_out[1](out)
        if dtype == torch.float16:
            out = out.clip(-65504, 65504)
        return out


class TransformerForExport(nn.Module):
    """The transformer with PAG's switch on every block's self-attention. forward_inputs: what fuse_for_onnx_runtime
    returned, when the blocks are fused (set from the graph's inputs before every forward)."""

    def __init__(self, transformer: nn.Module, forward_inputs=None):
        super().__init__()
        self.transformer = transformer
        self.forward_inputs = forward_inputs
        self.processors = []
        for block in transformer.transformer_blocks:
            proc = PagSwitchLinearAttnProcessor()
            block.attn1.set_processor(proc)
            self.processors.append(proc)

    def forward(self, hidden_states, encoder_hidden_states, encoder_attention_mask, timestep, pag_layer_mask,
                pag_sample_mask):
        for i, proc in enumerate(self.processors):
            proc.perturb = pag_layer_mask[i] * pag_sample_mask
        if self.forward_inputs is not None:
            self.forward_inputs.set(hidden_states, encoder_attention_mask, self.transformer.config.patch_size)
        out = self.transformer(hidden_states, encoder_hidden_states=encoder_hidden_states,
                               encoder_attention_mask=encoder_attention_mask, timestep=timestep,
                               return_dict=False)[0]
        for proc in self.processors:
            proc.perturb = None
        if self.forward_inputs is not None:
            self.forward_inputs.clear()
        return out


def transformer_inputs(cfg, batch: int, h: int, w: int, gen: torch.Generator, dtype: torch.dtype):
    x = torch.randn(batch, cfg.in_channels, h, w, generator=gen).to(dtype)
    enc = torch.randn(batch, MAX_SEQUENCE_LENGTH, cfg.caption_channels, generator=gen).to(dtype)
    mask = torch.zeros(batch, MAX_SEQUENCE_LENGTH, dtype=torch.int64)
    for b in range(batch):
        mask[b, : [40, 300, 1, 123][b % 4]] = 1
    t = torch.tensor([999.0, 500.5, 3.0, 750.0][:batch] * (batch // 4 + 1), dtype=torch.float32)[:batch]
    return x, enc, mask, t


def load_transformer(src: Path, dtype: str, device: str):
    from diffusers import SanaTransformer2DModel

    log(f"transformer: loading SanaTransformer2DModel from {src / 'transformer'} ({dtype}, {device})")
    model = SanaTransformer2DModel.from_pretrained(str(src / "transformer"), torch_dtype=DTYPES[dtype]).to(device).eval()
    cfg = model.config
    if getattr(cfg, "guidance_embeds", False):
        raise RuntimeError("guidance_embeds transformers (Sana Sprint) are outside the sana-onnx/1 contract")
    log(f"  config: layers {len(model.transformer_blocks)}, heads {cfg.num_attention_heads} x {cfg.attention_head_dim}, "
        f"cross {cfg.num_cross_attention_heads} x {cfg.cross_attention_head_dim}, in/out {cfg.in_channels}/"
        f"{cfg.out_channels}, patch {cfg.patch_size}, caption {cfg.caption_channels}, qk_norm {cfg.qk_norm}, "
        f"interpolation_scale {cfg.interpolation_scale}, timestep_scale {getattr(cfg, 'timestep_scale', 1.0)}")
    if cfg.interpolation_scale is not None:
        log("  WARNING: this transformer has a sincos position embedding; check non-square sizes carefully")
    return model


def trace_inputs(cfg, n_layers: int, device: str, dtype: str):
    gen = torch.Generator().manual_seed(2)
    p = cfg.patch_size
    x, enc, mask, t = transformer_inputs(cfg, 2, 8 * p, 8 * p, gen, DTYPES[dtype])
    lm = torch.zeros(n_layers, dtype=torch.float32)
    sm = torch.zeros(2, dtype=torch.float32)
    return tuple(a.to(device) for a in (x, enc, mask, t, lm, sm))


def check_transformer(graph_path: Path, reference: nn.Module, dtype: str, device: str,
                      custom_ops_library: str | None = None) -> list[dict]:
    """The exported graph in ONNX Runtime (CPU) against diffusers' transformer: other batch sizes and a non-square
    size than traced, PAG with and without CFG through diffusers' own PAG processors."""
    from diffusers.models.attention_processor import (
        PAGCFGSanaLinearAttnProcessor2_0,
        PAGIdentitySanaLinearAttnProcessor2_0,
        SanaLinearAttnProcessor2_0,
    )

    cfg = reference.config
    n_layers = len(reference.transformer_blocks)
    tdt = DTYPES[dtype]
    gen = torch.Generator().manual_seed(5)
    p = cfg.patch_size

    def run_ort(sess, x, enc, mask, t, lm, sm):
        feed = {"hidden_states": to_np(x, dtype), "encoder_hidden_states": to_np(enc, dtype),
                "encoder_attention_mask": mask.numpy(), "timestep": t.numpy().astype(np.float32),
                "pag_layer_mask": lm.numpy().astype(np.float32), "pag_sample_mask": sm.numpy().astype(np.float32)}
        return sess.run(None, feed)[0]

    def ref_run(x, enc, mask, t):
        with torch.no_grad():
            return reference(x.to(device), encoder_hidden_states=enc.to(device), encoder_attention_mask=mask.to(device),
                             timestep=t.to(device), return_dict=False)[0]

    def set_pag(layers: list[int], proc_cls):
        for i, block in enumerate(reference.transformer_blocks):
            block.attn1.set_processor(proc_cls() if i in layers else SanaLinearAttnProcessor2_0())

    def do():
        sess = ort_session(graph_path, custom_ops_library)
        res = []
        name = graph_path.parent.name
        # plain, other batch and non-square size than traced
        x, enc, mask, t = transformer_inputs(cfg, 3, 6 * p, 10 * p, gen, tdt)
        got = run_ort(sess, x, enc, mask, t, torch.zeros(n_layers), torch.zeros(3))
        res.append(compare(f"{name} B=3 6x10 PAG off", ref_run(x, enc, mask, t), got, dtype))
        x, enc, mask, t = transformer_inputs(cfg, 1, 12 * p, 4 * p, gen, tdt)
        got = run_ort(sess, x, enc, mask, t, torch.zeros(n_layers), torch.zeros(1))
        res.append(compare(f"{name} B=1 12x4 PAG off", ref_run(x, enc, mask, t), got, dtype))
        # PAG with CFG: batch [uncond, cond, cond-perturbed], diffusers' PAGCFG processor on the layers
        layers = sorted({0, n_layers - 1})
        x, enc, mask, t = transformer_inputs(cfg, 2, 6 * p, 6 * p, gen, tdt)
        xb, eb, mb = (torch.cat([a, a[1:]]) for a in (x, enc, mask))
        tb = torch.full((3,), 640.0)
        lm = torch.zeros(n_layers)
        lm[layers] = 1
        set_pag(layers, PAGCFGSanaLinearAttnProcessor2_0)
        ref = ref_run(xb, eb, mb, tb)
        got = run_ort(sess, xb, eb, mb, tb, lm, torch.tensor([0.0, 0.0, 1.0]))
        res.append(compare(f"{name} PAG+CFG layers {layers}", ref, got, dtype))
        # PAG without CFG: batch [cond, cond-perturbed], diffusers' PAGIdentity processor
        layers = [min(1, n_layers - 1)]
        xb, eb, mb = (torch.cat([a[:1], a[:1]]) for a in (x, enc, mask))
        tb = torch.full((2,), 123.0)
        lm = torch.zeros(n_layers)
        lm[layers] = 1
        set_pag(layers, PAGIdentitySanaLinearAttnProcessor2_0)
        ref = ref_run(xb, eb, mb, tb)
        got = run_ort(sess, xb, eb, mb, tb, lm, torch.tensor([0.0, 1.0]))
        res.append(compare(f"{name} PAG no CFG layers {layers}", ref, got, dtype))
        set_pag([], None)
        return res

    return run_check(dtype, do)


def transformer_meta(model: nn.Module, file: str, dtype: str, graph: str) -> dict:
    cfg = model.config
    return {"file": file, "dtype": dtype, "in_channels": int(cfg.in_channels),
            "out_channels": int(cfg.out_channels or cfg.in_channels), "patch_size": int(cfg.patch_size),
            "num_layers": len(model.transformer_blocks), "caption_channels": int(cfg.caption_channels),
            "sample_size": int(cfg.sample_size), "timestep_scale": float(getattr(cfg, "timestep_scale", 1.0)),
            "num_attention_heads": int(cfg.num_attention_heads), "attention_head_dim": int(cfg.attention_head_dim),
            "cross_attention_dim": int(cfg.cross_attention_dim), "graph": graph}


def export_transformer(src: Path, out: Path, dtype: str, opset: int, external: str, check: bool, device: str,
                       graph: str = "fused", custom_ops_library: str | None = None):  # noqa: ARG001 - one signature for every part
    """The portable graph: transformer/model.onnx."""
    import copy

    model = load_transformer(src, dtype, device)
    reference = copy.deepcopy(model) if check else None
    rewrite, forward_inputs = None, None
    if graph == "fused":
        # after the reference copy: the check compares with diffusers' own blocks
        forward_inputs = fuse_for_onnx_runtime(model)
        rewrite = rewrite_placeholders
    wrapper = TransformerForExport(model, forward_inputs).eval()
    args = trace_inputs(model.config, len(model.transformer_blocks), device, dtype)
    path = out / "transformer" / "model.onnx"
    info = export_graph(wrapper, args, INPUT_NAMES, ["velocity"], DYNAMIC_AXES, path, opset, external,
                        custom_opsets=CUSTOM_OPSETS if graph == "fused" else None, rewrite=rewrite)
    checks = check_transformer(path, reference, dtype, device) if check else []
    return transformer_meta(model, "transformer/model.onnx", dtype, graph), info, checks


def export_transformer_kernels(src: Path, out: Path, dtype: str, opset: int, external: str, check: bool, device: str,
                               graph: str = "fused", custom_ops_library: str | None = None):  # noqa: ARG001
    """The kernels graph: transformer_kernels/model.onnx, checked in ONNX Runtime with the kernel library's CPU ops
    (custom_ops_library; without it the check is skipped with a warning)."""
    model = load_transformer(src, dtype, device)
    reason = kernels_transformer.unsupported(model)
    if reason is not None:
        raise RuntimeError(f"no kernels graph for this transformer ({reason}): the portable graph is the only one")
    if model.config.attention_head_dim not in kernels_transformer.CUDA_HEAD_DIMS:
        log(f"  WARNING: head size {model.config.attention_head_dim} has no CUDA kernel: the graph runs on CPU only")
    module = kernels_transformer.KernelsTransformer(model).eval()
    register_symbolics(opset)
    args = trace_inputs(model.config, len(model.transformer_blocks), device, dtype)
    path = out / "transformer_kernels" / "model.onnx"
    info = export_graph(module, args, INPUT_NAMES, ["velocity"], DYNAMIC_AXES, path, opset, external,
                        custom_opsets=kernels_transformer.CUSTOM_OPSETS, rewrite=rewrite_placeholders)
    checks = []
    if check:
        if custom_ops_library is None:
            log("  WARNING: no --kernels-library: the kernels graph is not checked")
            checks = [{"label": "skipped", "ok": True, "skipped": "no kernel library"}]
        else:
            # the kernels module reads the diffusers model's weights without changing it: that model is the reference
            checks = check_transformer(path, model, dtype, device, custom_ops_library)
    meta = {"file": "transformer_kernels/model.onnx", "domain": kernels_transformer.DOMAIN,
            "version": kernels_transformer.OPSET_VERSION}
    return meta, info, checks
