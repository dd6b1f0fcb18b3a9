"""Exports a diffusers-format Sana folder to the project's ONNX model folder (docs/model-folder.md).

    python tools/export/export_sana.py INPUT OUTPUT [--dtype fp32|fp16|bf16] [--opset 17] [--no-check]
        [--transformer-graph fused|reference]
        [--make-tiny] [--name NAME] [--text-encoder-dtype D] [--vae-dtype D]
        [--external-data auto|always|never] [--parts text_encoder,transformer,vae_decoder]
        [--assemble-from PART_OUTPUT ...]

INPUT: a diffusers Sana folder (model_index.json, tokenizer/, text_encoder/, transformer/, vae/, scheduler/).
       With --make-tiny, a tiny random one is first built there (tools/export/make_tiny_sana.py).
OUTPUT: sana-model.json, tokenizer/ (copied), text_encoder/model.onnx, transformer/model.onnx,
        vae_decoder/model.onnx (+ model.onnx.data when the weights go to external data). The manifest's "files" lists
        every other file with its SHA-256 and size (tools/export/model_checksums.py).

How each graph is made (torch.onnx.export, legacy TorchScript exporter, dynamo=False; the dynamo exporter gave
NaN for the transformer and the DC-AE):
- text_encoder: Gemma2Model with eager attention; output[0] = last_hidden_state after the final norm.
- transformer: SanaTransformer2DModel with an export-only processor on attn1 of every block that computes the
  linear attention (sums in float32) and, where pag_layer_mask[layer] * pag_sample_mask[sample] = 1, replaces its
  result by to_v(x) before to_out: PAG identity attention, as diffusers' PAG processors do. With
  --transformer-graph fused (default) the blocks are also reshaped for ONNX Runtime (ort_transformer.py: the
  feed-forward on tokens as MatMuls, the cross-attention as com.microsoft MultiHeadAttention taking the text's valid
  key lengths, constant-shaped reshapes); the manifest's transformer.graph says which.
- vae_decoder: AutoencoderDC.decoder. The exporter writes Transpose nodes with negative perm entries for
  movedim(-1, 1) (ONNX Runtime refuses them); every such perm is rewritten to its positive form after export.
Every graph is saved with ir_version 10, then (unless --no-check) run in ONNX Runtime (CPU) on random inputs of
other shapes than the traced ones and compared with PyTorch; the max abs diff is printed and a diff above the
tolerance fails the export. The manifest is written only when every part exported and passed.
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from model_checksums import file_checksums  # noqa: E402
from ort_transformer import (  # noqa: E402
    CUSTOM_OPSETS,
    fuse_for_onnx_runtime,
    onnx_reshape,
    pad_row,
    project_qkv,
    rewrite_placeholders,
)
from sana_common import default_chi, log, versions, write_json  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
NP_DTYPES = {"fp32": np.float32, "fp16": np.float16}
TOLERANCE = {"fp32": 1e-3, "fp16": 3e-2, "bf16": 1e-1}  # relative to max(1, max |reference|)
IR_VERSION = 10
PARTS = ("text_encoder", "transformer", "vae_decoder")
MAX_SEQUENCE_LENGTH = 300


# ----------------------------------------------------------------------------------------------- graph surgery
def normalize_transpose_perms(graph) -> int:
    """Rewrites negative Transpose perm entries (p -> p + rank); returns how many nodes changed."""
    changed = 0
    for node in graph.node:
        for attr in node.attribute:
            if node.op_type == "Transpose" and attr.name == "perm":
                perm = list(attr.ints)
                if any(p < 0 for p in perm):
                    fixed = [p + len(perm) if p < 0 else p for p in perm]
                    del attr.ints[:]
                    attr.ints.extend(fixed)
                    changed += 1
            if attr.g is not None and len(attr.g.node) > 0:
                changed += normalize_transpose_perms(attr.g)
            for g in attr.graphs:
                changed += normalize_transpose_perms(g)
    return changed


def initializer_bytes(model) -> int:
    import onnx

    total = 0
    for init in model.graph.initializer:
        n = 1
        for d in init.dims:
            n *= d
        try:
            size = onnx.helper.tensor_dtype_to_np_dtype(init.data_type).itemsize
        except Exception:  # noqa: BLE001 - an exotic element type: count 4 bytes
            size = 4
        total += n * size
    return total


def export_graph(module: nn.Module, args: tuple, input_names: list[str], output_names: list[str],
                 dynamic_axes: dict, out_path: Path, opset: int, external: str, custom_opsets: dict | None = None,
                 rewrite=None) -> dict:
    """rewrite: a function of the loaded ModelProto run right after export (returns a count for the log)."""
    import onnx

    out_path.parent.mkdir(parents=True, exist_ok=True)
    for old in (out_path, out_path.with_name(out_path.name + ".data")):
        if old.exists():
            old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "model.onnx"
        t0 = time.time()
        with torch.no_grad():
            torch.onnx.export(module, args, str(raw), input_names=input_names, output_names=output_names,
                              dynamic_axes=dynamic_axes, opset_version=opset, do_constant_folding=True,
                              custom_opsets=custom_opsets or {}, dynamo=False)
        log(f"  torch.onnx.export: {time.time() - t0:.1f}s")
        model = onnx.load(str(raw), load_external_data=True)
    fixed = normalize_transpose_perms(model.graph)
    log(f"  Transpose nodes with negative perm entries rewritten: {fixed}")
    if rewrite is not None:
        log(f"  {rewrite.__name__}: {rewrite(model)} nodes")
    written_ir = model.ir_version
    model.ir_version = IR_VERSION
    weights = initializer_bytes(model)
    use_external = external == "always" or (external == "auto" and weights > (1 << 30))
    if use_external:
        onnx.save_model(model, str(out_path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=out_path.name + ".data", size_threshold=1024, convert_attribute=False)
    else:
        onnx.save_model(model, str(out_path))
    try:
        onnx.checker.check_model(str(out_path))
        checker = "ok"
    except Exception as e:  # noqa: BLE001 - reported, ORT is the real judge
        checker = f"{type(e).__name__}: {str(e)[:300]}"
    ops: dict[str, int] = {}
    for node in model.graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    info = {
        "file": out_path.name,
        "external_data": use_external,
        "weights_bytes": weights,
        "exporter_ir_version": written_ir,
        "ir_version": IR_VERSION,
        "opset_import": opsets,
        "negative_perms_fixed": fixed,
        "onnx_checker": checker,
        "nodes": sum(ops.values()),
    }
    log(f"  saved {out_path} ({'external data' if use_external else 'inline'}, {weights / 1e6:.2f} MB weights, "
        f"IR {written_ir} -> {IR_VERSION}, opsets {opsets}, {info['nodes']} nodes, checker: {checker})")
    log(f"  ops: {dict(sorted(ops.items()))}")
    return info


# ------------------------------------------------------------------------------------------------- checking
def ort_session(path: Path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def compare(label: str, ref: torch.Tensor, got: np.ndarray, dtype: str) -> dict:
    ref_np = ref.detach().float().cpu().numpy()
    got = np.asarray(got, dtype=np.float32)
    if ref_np.shape != got.shape:
        log(f"  CHECK {label}: SHAPE MISMATCH torch {ref_np.shape} vs onnx {got.shape}")
        return {"label": label, "ok": False, "error": f"shape {ref_np.shape} vs {got.shape}"}
    diff = np.abs(ref_np - got)
    scale = max(1.0, float(np.abs(ref_np).max()))
    max_abs = float(diff.max()) if diff.size else 0.0
    finite = bool(np.isfinite(got).all())
    ok = finite and max_abs <= TOLERANCE[dtype] * scale
    log(f"  CHECK {label}: max abs diff {max_abs:.3e} (mean {float(diff.mean()):.3e}, max |torch| "
        f"{float(np.abs(ref_np).max()):.3e}, tolerance {TOLERANCE[dtype] * scale:.1e}) -> "
        f"{'ok' if ok else 'FAILED'}{'' if finite else ' (non-finite output)'}")
    return {"label": label, "ok": ok, "max_abs_diff": max_abs, "mean_abs_diff": float(diff.mean()),
            "max_abs_reference": float(np.abs(ref_np).max()), "shape": list(ref_np.shape)}


def to_np(t: torch.Tensor, dtype: str) -> np.ndarray:
    if not t.is_floating_point():
        return t.cpu().numpy().astype(np.int64)
    return t.detach().float().cpu().numpy().astype(NP_DTYPES[dtype])


def run_check(dtype: str, fn) -> list[dict]:
    if dtype == "bf16":
        log("  WARNING: bf16 graphs are not checked (ONNX Runtime's CPU provider has no bf16 kernels)")
        return [{"label": "skipped", "ok": True, "skipped": "bf16 on CPU"}]
    try:
        return fn()
    except Exception as e:  # noqa: BLE001
        msg = f"{type(e).__name__}: {str(e)[:500]}"
        if dtype == "fp16" and ("NOT_IMPLEMENTED" in msg or "Could not find an implementation" in msg):
            log(f"  WARNING: fp16 graph not checkable on ONNX Runtime CPU: {msg}")
            return [{"label": "skipped", "ok": True, "skipped": msg}]
        log(f"  CHECK FAILED with an exception: {msg}")
        traceback.print_exc()
        return [{"label": "exception", "ok": False, "error": msg}]


# --------------------------------------------------------------------------------------------- text encoder
class TextEncoderForExport(nn.Module):
    """Gemma2Model with its own 2D-mask handling (transformers builds the causal + padding mask)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)[0]


class TextEncoderOwnMaskForExport(nn.Module):
    """Fallback: builds the additive causal + key-padding mask [B, 1, L, L] in the graph and hands transformers a
    ready 4D mask (no sliding window: Sana's sequences are far below Gemma-2's 4096)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        dtype = self.model.embed_tokens.weight.dtype
        idx = torch.arange(input_ids.shape[1], device=input_ids.device)
        causal = idx[None, :] <= idx[:, None]
        keep = causal[None, None] & (attention_mask[:, None, None, :] > 0)
        zero = torch.zeros((), dtype=dtype, device=input_ids.device)
        low = torch.full((), torch.finfo(dtype).min, dtype=dtype, device=input_ids.device)
        mask4 = torch.where(keep, zero, low)
        return self.model(input_ids=input_ids, attention_mask=mask4, use_cache=False)[0]


def text_encoder_inputs(batch: int, length: int, vocab: int, pad_tail: int, gen: torch.Generator):
    ids = torch.randint(4, vocab, (batch, length), generator=gen, dtype=torch.int64)
    ids[:, 0] = 2
    mask = torch.ones(batch, length, dtype=torch.int64)
    if pad_tail and batch > 1:
        mask[-1, length - pad_tail:] = 0
        ids[-1, length - pad_tail:] = 0
    return ids, mask


def export_text_encoder(src: Path, out: Path, dtype: str, opset: int, external: str, check: bool, device: str):
    from transformers import Gemma2Model

    log(f"text_encoder: loading Gemma2Model from {src / 'text_encoder'} ({dtype}, eager attention, {device})")
    model = Gemma2Model.from_pretrained(str(src / "text_encoder"), attn_implementation="eager")
    model = model.to(device=device, dtype=DTYPES[dtype]).eval()
    cfg = model.config
    log(f"  config: layers {cfg.num_hidden_layers}, hidden {cfg.hidden_size}, heads {cfg.num_attention_heads}"
        f"/{cfg.num_key_value_heads} x {cfg.head_dim}, vocab {cfg.vocab_size}, attn {cfg._attn_implementation}, "
        f"sliding window {getattr(cfg, 'sliding_window', None)}")
    path = out / "text_encoder" / "model.onnx"
    gen = torch.Generator().manual_seed(1)
    ids, mask = text_encoder_inputs(2, 16, cfg.vocab_size, 5, gen)
    # the reference is the plain model call, whatever graph variant is exported
    plain = TextEncoderForExport(model).eval()
    info, checks, variant = None, [], None
    for variant, wrapper in (("transformers-mask", plain), ("own-mask", TextEncoderOwnMaskForExport(model).eval())):
        try:
            info = export_graph(wrapper, (ids.to(device), mask.to(device)), ["input_ids", "attention_mask"],
                                ["last_hidden_state"], {"input_ids": {0: "B", 1: "L"},
                                                        "attention_mask": {0: "B", 1: "L"},
                                                        "last_hidden_state": {0: "B", 1: "L"}},
                                path, opset, external)
        except Exception as e:  # noqa: BLE001 - try the other variant
            traceback.print_exc()
            log(f"  text_encoder variant {variant}: export failed: {type(e).__name__}: {str(e)[:300]}")
            info = None
            continue
        if not check:
            break

        def do():
            sess = ort_session(path)
            res = []
            for b, length, pad in ((3, 23, 6), (1, 77, 0), (2, 300, 290)):
                i, m = text_encoder_inputs(b, length, cfg.vocab_size, pad, gen)
                with torch.no_grad():
                    ref = plain(i.to(device), m.to(device))
                got = sess.run(None, {"input_ids": i.numpy(), "attention_mask": m.numpy()})[0]
                res.append(compare(f"text_encoder[{variant}] B={b} L={length} pad={pad}", ref, got, dtype))
            return res
        checks = run_check(dtype, do)
        if all(c.get("ok") for c in checks):
            break
        log(f"  text_encoder variant {variant} failed its check; trying the next one")
    if info is None:
        raise RuntimeError("no text encoder variant could be exported")
    info["variant"] = variant
    log(f"  text_encoder: exported variant {variant}")
    meta = {"file": "text_encoder/model.onnx", "dtype": dtype, "hidden_size": int(cfg.hidden_size),
            "num_layers": int(cfg.num_hidden_layers), "vocab_size": int(cfg.vocab_size),
            "attn_implementation": "eager"}
    return meta, info, checks


# ---------------------------------------------------------------------------------------------- transformer
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


def export_transformer(src: Path, out: Path, dtype: str, opset: int, external: str, check: bool, device: str,
                       graph: str = "fused"):
    from diffusers import SanaTransformer2DModel
    from diffusers.models.attention_processor import (
        PAGCFGSanaLinearAttnProcessor2_0,
        PAGIdentitySanaLinearAttnProcessor2_0,
        SanaLinearAttnProcessor2_0,
    )

    tdt = DTYPES[dtype]
    log(f"transformer: loading SanaTransformer2DModel from {src / 'transformer'} ({dtype}, {device})")
    model = SanaTransformer2DModel.from_pretrained(str(src / "transformer"), torch_dtype=tdt).to(device).eval()
    cfg = model.config
    if getattr(cfg, "guidance_embeds", False):
        raise RuntimeError("guidance_embeds transformers (Sana Sprint) are outside the sana-onnx/1 contract")
    n_layers = len(model.transformer_blocks)
    log(f"  config: layers {n_layers}, heads {cfg.num_attention_heads} x {cfg.attention_head_dim}, cross "
        f"{cfg.num_cross_attention_heads} x {cfg.cross_attention_head_dim}, in/out {cfg.in_channels}/"
        f"{cfg.out_channels}, patch {cfg.patch_size}, caption {cfg.caption_channels}, qk_norm {cfg.qk_norm}, "
        f"interpolation_scale {cfg.interpolation_scale}, timestep_scale {getattr(cfg, 'timestep_scale', 1.0)}")
    if cfg.interpolation_scale is not None:
        log("  WARNING: this transformer has a sincos position embedding; check non-square sizes carefully")
    reference = copy.deepcopy(model) if check else None
    rewrite = None
    forward_inputs = None
    if graph == "fused":
        # after the reference copy: the check compares with diffusers' own blocks
        forward_inputs = fuse_for_onnx_runtime(model)
        rewrite = rewrite_placeholders
    wrapper = TransformerForExport(model, forward_inputs).eval()
    gen = torch.Generator().manual_seed(2)
    p = cfg.patch_size
    x, enc, mask, t = transformer_inputs(cfg, 2, 8 * p, 8 * p, gen, tdt)
    lm = torch.zeros(n_layers, dtype=torch.float32)
    sm = torch.zeros(2, dtype=torch.float32)
    args = tuple(a.to(device) for a in (x, enc, mask, t, lm, sm))
    names = ["hidden_states", "encoder_hidden_states", "encoder_attention_mask", "timestep", "pag_layer_mask",
             "pag_sample_mask"]
    dyn = {"hidden_states": {0: "B", 2: "h", 3: "w"}, "encoder_hidden_states": {0: "B", 1: "L"},
           "encoder_attention_mask": {0: "B", 1: "L"}, "timestep": {0: "B"}, "pag_sample_mask": {0: "B"},
           "velocity": {0: "B", 2: "h", 3: "w"}}
    info = export_graph(wrapper, args, names, ["velocity"], dyn, out / "transformer" / "model.onnx", opset,
                        external, custom_opsets=CUSTOM_OPSETS if graph == "fused" else None, rewrite=rewrite)
    checks = []
    if check:
        def run_ort(sess, x, enc, mask, t, lm, sm):
            feed = {"hidden_states": to_np(x, dtype), "encoder_hidden_states": to_np(enc, dtype),
                    "encoder_attention_mask": mask.numpy(), "timestep": t.numpy().astype(np.float32),
                    "pag_layer_mask": lm.numpy().astype(np.float32),
                    "pag_sample_mask": sm.numpy().astype(np.float32)}
            return sess.run(None, feed)[0]

        def ref_run(x, enc, mask, t):
            with torch.no_grad():
                return reference(x.to(device), encoder_hidden_states=enc.to(device),
                                 encoder_attention_mask=mask.to(device), timestep=t.to(device),
                                 return_dict=False)[0]

        def set_pag(layers: list[int], proc_cls):
            for i, block in enumerate(reference.transformer_blocks):
                block.attn1.set_processor(proc_cls() if i in layers else SanaLinearAttnProcessor2_0())

        def do():
            sess = ort_session(out / "transformer" / "model.onnx")
            res = []
            # plain, other batch and non-square size than traced
            x, enc, mask, t = transformer_inputs(cfg, 3, 6 * p, 10 * p, gen, tdt)
            got = run_ort(sess, x, enc, mask, t, torch.zeros(n_layers), torch.zeros(3))
            res.append(compare("transformer B=3 6x10 PAG off", ref_run(x, enc, mask, t), got, dtype))
            x, enc, mask, t = transformer_inputs(cfg, 1, 12 * p, 4 * p, gen, tdt)
            got = run_ort(sess, x, enc, mask, t, torch.zeros(n_layers), torch.zeros(1))
            res.append(compare("transformer B=1 12x4 PAG off", ref_run(x, enc, mask, t), got, dtype))
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
            res.append(compare(f"transformer PAG+CFG layers {layers}", ref, got, dtype))
            # PAG without CFG: batch [cond, cond-perturbed], diffusers' PAGIdentity processor
            layers = [min(1, n_layers - 1)]
            xb, eb, mb = (torch.cat([a[:1], a[:1]]) for a in (x, enc, mask))
            tb = torch.full((2,), 123.0)
            lm = torch.zeros(n_layers)
            lm[layers] = 1
            set_pag(layers, PAGIdentitySanaLinearAttnProcessor2_0)
            ref = ref_run(xb, eb, mb, tb)
            got = run_ort(sess, xb, eb, mb, tb, lm, torch.tensor([0.0, 1.0]))
            res.append(compare(f"transformer PAG no CFG layers {layers}", ref, got, dtype))
            set_pag([], None)
            return res
        checks = run_check(dtype, do)
    meta = {"file": "transformer/model.onnx", "dtype": dtype, "in_channels": int(cfg.in_channels),
            "out_channels": int(cfg.out_channels or cfg.in_channels), "patch_size": int(cfg.patch_size),
            "num_layers": n_layers, "caption_channels": int(cfg.caption_channels),
            "sample_size": int(cfg.sample_size), "timestep_scale": float(getattr(cfg, "timestep_scale", 1.0)),
            "num_attention_heads": int(cfg.num_attention_heads), "attention_head_dim": int(cfg.attention_head_dim),
            "cross_attention_dim": int(cfg.cross_attention_dim), "graph": graph}
    return meta, info, checks


# ---------------------------------------------------------------------------------------------- vae decoder
class VaeDecoderForExport(nn.Module):
    def __init__(self, vae: nn.Module):
        super().__init__()
        self.decoder = vae.decoder

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.decoder(latent)


def export_vae_decoder(src: Path, out: Path, dtype: str, opset: int, external: str, check: bool, device: str):
    from diffusers import AutoencoderDC

    log(f"vae_decoder: loading AutoencoderDC from {src / 'vae'} ({dtype}, {device})")
    vae = AutoencoderDC.from_pretrained(str(src / "vae"), torch_dtype=DTYPES[dtype]).to(device).eval()
    cfg = vae.config
    factor = 2 ** (len(cfg.encoder_block_out_channels) - 1)
    log(f"  config: latent {cfg.latent_channels}, decoder {list(cfg.decoder_block_out_channels)} "
        f"{cfg.decoder_block_types}, upsample {cfg.upsample_block_type}, factor {factor}, "
        f"scaling {cfg.scaling_factor}, attention_head_dim {cfg.attention_head_dim}")
    wrapper = VaeDecoderForExport(vae).eval()
    # diffusers picks quadratic instead of linear attention in EfficientViT blocks when h*w <= attention_head_dim;
    # the traced graph keeps the linear branch, so trace with h*w above that.
    side = 8
    while side * side <= cfg.attention_head_dim:
        side += 2
    gen = torch.Generator().manual_seed(3)
    z = (torch.randn(1, cfg.latent_channels, side, side, generator=gen) * 2).to(DTYPES[dtype])
    info = export_graph(wrapper, (z.to(device),), ["latent"], ["sample"],
                        {"latent": {0: "B", 2: "h", 3: "w"}, "sample": {0: "B", 2: "H", 3: "W"}},
                        out / "vae_decoder" / "model.onnx", opset, external)
    checks = []
    if check:
        def do():
            sess = ort_session(out / "vae_decoder" / "model.onnx")
            res = []
            for b, h, w in ((2, side - 2, side + 2), (1, side + 4, side)):
                z = (torch.randn(b, cfg.latent_channels, h, w, generator=gen) * 2).to(DTYPES[dtype])
                with torch.no_grad():
                    ref = wrapper(z.to(device))
                got = sess.run(None, {"latent": to_np(z, dtype)})[0]
                res.append(compare(f"vae_decoder B={b} {h}x{w}", ref, got, dtype))
            return res
        checks = run_check(dtype, do)
    meta = {"file": "vae_decoder/model.onnx", "dtype": dtype, "latent_channels": int(cfg.latent_channels),
            "spatial_compression_ratio": factor, "scaling_factor": float(cfg.scaling_factor),
            "attention_head_dim": int(cfg.attention_head_dim),
            "min_latent_pixels_for_linear_attention": int(cfg.attention_head_dim) + 1}
    return meta, info, checks


# -------------------------------------------------------------------------------------------------- tokenizer
def copy_tokenizer(src: Path, out: Path) -> dict:
    from transformers import AutoTokenizer

    tdir = out / "tokenizer"
    if tdir.exists():
        shutil.rmtree(tdir)
    tdir.mkdir(parents=True)
    for name in ("tokenizer.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (src / "tokenizer" / name).exists():
            shutil.copy(src / "tokenizer" / name, tdir / name)
    tok = AutoTokenizer.from_pretrained(str(src / "tokenizer"))
    if not (tdir / "tokenizer.json").exists():
        with tempfile.TemporaryDirectory() as tmp:
            tok.save_pretrained(tmp)
            if (Path(tmp) / "tokenizer.json").exists():
                shutil.copy(Path(tmp) / "tokenizer.json", tdir / "tokenizer.json")
    ids = {"pad_id": tok.pad_token_id, "eos_id": tok.eos_token_id, "bos_id": tok.bos_token_id,
           "unk_id": tok.unk_token_id}
    log(f"tokenizer: {type(tok).__name__}, {len(tok)} tokens, {ids}, files {sorted(p.name for p in tdir.iterdir())}")
    probe = tok("a cat").input_ids
    if probe[0] != tok.bos_token_id:
        log(f"  WARNING: the tokenizer does not start with BOS: {probe}")
    return {
        "model_file": "tokenizer/tokenizer.model" if (tdir / "tokenizer.model").exists() else None,
        "json_file": "tokenizer/tokenizer.json" if (tdir / "tokenizer.json").exists() else None,
        **ids,
        "vocab_size": len(tok),
        "add_bos": True,
        "add_eos": False,
        "padding_side": "right",
        "max_sequence_length": MAX_SEQUENCE_LENGTH,
        "complex_human_instruction": default_chi(),
    }


# ------------------------------------------------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--dtype", choices=sorted(DTYPES), default="fp32", help="transformer graph dtype")
    ap.add_argument("--text-encoder-dtype", choices=sorted(DTYPES), default=None, help="default: --dtype")
    ap.add_argument("--vae-dtype", choices=sorted(DTYPES), default=None,
                    help="default: --dtype, but fp32 when --dtype is fp16 (DC-AE is kept bf16/fp32)")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--transformer-graph", choices=("fused", "reference"), default="fused",
                    help="fused: the blocks reshaped for ONNX Runtime (tools/export/ort_transformer.py: feed-forward "
                         "on tokens as MatMuls, fused cross-attention); reference: diffusers' blocks as they are")
    ap.add_argument("--no-check", action="store_true", help="skip the ONNX Runtime vs PyTorch comparison")
    ap.add_argument("--make-tiny", action="store_true", help="first build a tiny random Sana at INPUT")
    ap.add_argument("--name", default=None, help="model name in the manifest (default: INPUT's folder name)")
    ap.add_argument("--external-data", choices=("auto", "always", "never"), default="auto",
                    help="auto: weights over 1 GiB go to model.onnx.data")
    ap.add_argument("--parts", default=",".join(PARTS))
    ap.add_argument("--device", default=None, help="torch device for export (default: cpu for fp32, else cuda)")
    ap.add_argument("--assemble-from", nargs="+", default=None, metavar="PART_OUTPUT",
                    help="export nothing: move the parts that earlier runs with --parts wrote into these folders "
                         "(each part folder with its export-result.json) into OUTPUT, copy the tokenizer and write "
                         "the manifest; lets the three parts export in parallel processes")
    args = ap.parse_args()

    src, out = Path(args.input), Path(args.output)
    if args.make_tiny:
        script = Path(__file__).resolve().parent / "make_tiny_sana.py"
        log(f"building a tiny Sana at {src}")
        subprocess.run([sys.executable, str(script), str(src), "--force"], check=True)
    for need in ("model_index.json", "tokenizer", "text_encoder", "transformer", "vae", "scheduler"):
        if not (src / need).exists():
            log(f"ERROR: {src / need} is missing: INPUT must be a diffusers-format Sana folder")
            return 2
    dtypes = {
        "transformer": args.dtype,
        "text_encoder": args.text_encoder_dtype or args.dtype,
        "vae_decoder": args.vae_dtype or ("fp32" if args.dtype == "fp16" else args.dtype),
    }
    parts = [p.strip() for p in args.parts.split(",") if p.strip()] if args.assemble_from is None else []
    log(f"export {src} -> {out}: parts {parts}, dtypes {dtypes}, opset {args.opset}, check {not args.no_check}")
    log(f"versions: {versions()}")
    torch.manual_seed(0)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "sana-model.json"
    if manifest_path.exists():
        manifest_path.unlink()

    results: dict[str, dict] = {}
    failures: list[str] = []
    exporters = {"text_encoder": export_text_encoder,
                 "transformer": functools.partial(export_transformer, graph=args.transformer_graph),
                 "vae_decoder": export_vae_decoder}
    try:
        tokenizer_meta = copy_tokenizer(src, out)
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        failures.append(f"tokenizer: {type(e).__name__}: {e}")
        tokenizer_meta = None
    for part in parts:
        dt = dtypes[part]
        device = args.device or ("cuda" if dt != "fp32" and torch.cuda.is_available() else "cpu")
        t0 = time.time()
        try:
            meta, info, checks = exporters[part](src, out, dt, args.opset, args.external_data,
                                                 not args.no_check, device)
            results[part] = {"meta": meta, "info": info, "checks": checks}
            # what --assemble-from reads when the parts were exported by separate processes
            write_json(out / part / "export-result.json", results[part])
            bad = [c for c in checks if not c.get("ok")]
            if bad:
                failures.append(f"{part}: check failed: {[c['label'] for c in bad]}")
            log(f"{part}: done in {time.time() - t0:.1f}s")
        except Exception as e:  # noqa: BLE001 - go on with the other parts, report at the end
            traceback.print_exc()
            failures.append(f"{part}: {type(e).__name__}: {str(e)[:500]}")
            log(f"{part}: FAILED after {time.time() - t0:.1f}s")

    for part in PARTS if args.assemble_from is not None else ():
        for folder in args.assemble_from:
            found = Path(folder) / part / "export-result.json"
            if part not in results and found.exists():
                with open(found, encoding="utf-8") as f:
                    results[part] = json.load(f)
                if (out / part).exists():
                    shutil.rmtree(out / part)
                shutil.move(str(found.parent), str(out / part))
                log(f"{part}: assembled from {found.parent}")
                bad = [c for c in results[part]["checks"] if not c.get("ok")]
                if bad:
                    failures.append(f"{part}: check failed: {[c['label'] for c in bad]}")
        if part not in results:
            failures.append(f"{part}: no export-result.json under {args.assemble_from}")

    if failures or tokenizer_meta is None or any(p not in results for p in PARTS):
        missing = [p for p in PARTS if p not in results]
        log(f"EXPORT FAILED: {failures}; parts not exported: {missing}; no manifest written")
        return 1

    with open(src / "scheduler" / "scheduler_config.json", encoding="utf-8") as f:
        scheduler = json.load(f)
    with open(src / "model_index.json", encoding="utf-8") as f:
        model_index = json.load(f)
    manifest = {
        "format": "sana-onnx/1",
        "name": args.name or src.resolve().name,
        "source": "tiny-random" if args.make_tiny else str(src),
        "source_pipeline": model_index.get("_class_name"),
        "exporter": {**{k: v for k, v in versions().items() if k in ("diffusers", "transformers", "torch", "onnx")},
                     "opset": args.opset, "ir_version": IR_VERSION, "script": "tools/export/export_sana.py"},
        "tokenizer": tokenizer_meta,
        "text_encoder": results["text_encoder"]["meta"],
        "transformer": results["transformer"]["meta"],
        "vae_decoder": results["vae_decoder"]["meta"],
        "scheduler": scheduler,
        "checks": {p: [{k: v for k, v in c.items() if k != "ok"} for c in results[p]["checks"]] for p in PARTS},
        # Last, once every other file is in place: what a silo checks a downloaded copy against (model_checksums.py).
        "files": file_checksums(out),
    }
    write_json(manifest_path, manifest)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    log(f"EXPORT OK: wrote {manifest_path}; folder {total / 1e6:.2f} MB")
    for p in PARTS:
        for c in results[p]["checks"]:
            if "max_abs_diff" in c:
                log(f"  {c['label']}: max abs diff {c['max_abs_diff']:.3e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
