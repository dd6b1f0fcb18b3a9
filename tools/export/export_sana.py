"""Exports a diffusers-format Sana folder to the project's ONNX model folder (docs/model-folder.md).

    python tools/export/export_sana.py INPUT OUTPUT [--dtype fp32|fp16|bf16] [--opset 17] [--no-check]
        [--transformer-graph fused|reference] [--kernels-library LIB.so]
        [--make-tiny] [--name NAME] [--text-encoder-dtype D] [--vae-dtype D]
        [--external-data auto|always|never] [--parts text_encoder,transformer,transformer_kernels,vae_decoder]
        [--assemble-from PART_OUTPUT ...]

INPUT: a diffusers Sana folder (model_index.json, tokenizer/, text_encoder/, transformer/, vae/, scheduler/).
       With --make-tiny, a tiny random one is first built there (tools/export/make_tiny_sana.py).
OUTPUT: sana-model.json, tokenizer/ (copied), text_encoder/model.onnx, transformer/model.onnx,
        transformer_kernels/model.onnx (when the transformer's blocks are ones our kernels cover), vae_decoder/model.onnx
        (+ model.onnx.data when the weights go to external data). The manifest's "files" lists every other file with
        its SHA-256 and size (tools/export/model_checksums.py).

How each graph is made (torch.onnx.export, legacy TorchScript exporter, dynamo=False; the dynamo exporter gave
NaN for the transformer and the DC-AE):
- text_encoder: Gemma2Model with eager attention; output[0] = last_hidden_state after the final norm.
- transformer (the portable graph, transformer_export.py): SanaTransformer2DModel with an export-only processor on
  attn1 of every block that computes the linear attention (sums in float32) and, where
  pag_layer_mask[layer] * pag_sample_mask[sample] = 1, replaces its result by to_v(x) before to_out: PAG identity
  attention, as diffusers' PAG processors do. With --transformer-graph fused (default) the blocks are also reshaped
  for ONNX Runtime (ort_transformer.py: the feed-forward on tokens as MatMuls, the cross-attention as com.microsoft
  MultiHeadAttention taking the text's valid key lengths, constant-shaped reshapes); the manifest's
  transformer.graph says which.
- transformer_kernels (kernels_transformer.py): the same transformer with the element-wise work between the GEMMs
  as the sana.kernels ops of src/Sana.Kernels; the manifest's transformer.kernels names it. Optional: a transformer
  whose blocks the ops do not cover, or a failed kernels export, leaves the model folder with the portable graph
  alone. Its check runs in ONNX Runtime with the kernel library's CPU ops (--kernels-library).
- vae_decoder: AutoencoderDC.decoder. The exporter writes Transpose nodes with negative perm entries for
  movedim(-1, 1) (ONNX Runtime refuses them); every such perm is rewritten to its positive form after export.
Every graph is saved with ir_version 10, then (unless --no-check) run in ONNX Runtime (CPU) on random inputs of
other shapes than the traced ones and compared with PyTorch; the max abs diff is printed and a diff above the
tolerance fails the export. The manifest is written only when every required part exported and passed.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from model_checksums import file_checksums
from onnx_export import DTYPES, IR_VERSION, compare, export_graph, ort_session, run_check, to_np
from sana_common import default_chi, log, versions, write_json
from transformer_export import MAX_SEQUENCE_LENGTH, export_transformer, export_transformer_kernels

import torch
from torch import nn

PARTS = ("text_encoder", "transformer", "vae_decoder")
OPTIONAL_PARTS = ("transformer_kernels",)
DEFAULT_KERNELS_LIBRARY = Path(__file__).resolve().parents[2] / "artifacts" / "kernels" / "libsana_kernels.so"


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
def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--dtype", choices=sorted(DTYPES), default="fp32", help="transformer graph dtype")
    ap.add_argument("--text-encoder-dtype", choices=sorted(DTYPES), default=None, help="default: --dtype")
    ap.add_argument("--vae-dtype", choices=sorted(DTYPES), default=None,
                    help="default: --dtype, but fp32 when --dtype is fp16 (DC-AE is kept bf16/fp32)")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--transformer-graph", choices=("fused", "reference"), default="fused",
                    help="the portable graph: fused = the blocks reshaped for ONNX Runtime (tools/export/"
                         "ort_transformer.py: feed-forward on tokens as MatMuls, fused cross-attention); reference = "
                         "diffusers' blocks as they are")
    ap.add_argument("--kernels-library", default=None,
                    help="the kernel library (src/Sana.Kernels/build.sh) whose CPU ops check the kernels graph "
                         f"(default: {DEFAULT_KERNELS_LIBRARY} when it exists)")
    ap.add_argument("--no-check", action="store_true", help="skip the ONNX Runtime vs PyTorch comparison")
    ap.add_argument("--make-tiny", action="store_true", help="first build a tiny random Sana at INPUT")
    ap.add_argument("--name", default=None, help="model name in the manifest (default: INPUT's folder name)")
    ap.add_argument("--external-data", choices=("auto", "always", "never"), default="auto",
                    help="auto: weights over 1 GiB go to model.onnx.data")
    ap.add_argument("--parts", default=",".join(PARTS[:2] + OPTIONAL_PARTS + PARTS[2:]))
    ap.add_argument("--device", default=None, help="torch device for export (default: cpu for fp32, else cuda)")
    ap.add_argument("--assemble-from", nargs="+", default=None, metavar="PART_OUTPUT",
                    help="export nothing: move the parts that earlier runs with --parts wrote into these folders "
                         "(each part folder with its export-result.json) into OUTPUT, copy the tokenizer and write "
                         "the manifest; lets the parts export in parallel processes")
    return ap.parse_args()


def failed_checks(part: str, result: dict) -> list[str]:
    bad = [c["label"] for c in result["checks"] if not c.get("ok")]
    return [f"{part}: check failed: {bad}"] if bad else []


def export_parts(args, src: Path, out: Path, parts: list[str], dtypes: dict) -> tuple[dict, list[str]]:
    """Exports each part into OUTPUT/<part>/ with its export-result.json; returns the results and the failures."""
    library = args.kernels_library or (str(DEFAULT_KERNELS_LIBRARY) if DEFAULT_KERNELS_LIBRARY.exists() else None)
    exporters = {"text_encoder": export_text_encoder,
                 "transformer": functools.partial(export_transformer, graph=args.transformer_graph),
                 "transformer_kernels": functools.partial(export_transformer_kernels, custom_ops_library=library),
                 "vae_decoder": export_vae_decoder}
    results, failures = {}, []
    for part in parts:
        if part not in exporters:
            failures.append(f"--parts: {part} is not one of {sorted(exporters)}")
            continue
        dt = dtypes[part]
        device = args.device or ("cuda" if dt != "fp32" and torch.cuda.is_available() else "cpu")
        t0 = time.time()
        try:
            meta, info, checks = exporters[part](src, out, dt, args.opset, args.external_data, not args.no_check, device)
            results[part] = {"meta": meta, "info": info, "checks": checks}
            # what --assemble-from reads when the parts were exported by separate processes
            write_json(out / part / "export-result.json", results[part])
            failures += failed_checks(part, results[part])
            log(f"{part}: done in {time.time() - t0:.1f}s")
        except Exception as e:  # noqa: BLE001 - go on with the other parts, report at the end
            traceback.print_exc()
            failures.append(f"{part}: {type(e).__name__}: {str(e)[:500]}")
            log(f"{part}: FAILED after {time.time() - t0:.1f}s")
    return results, failures


def assemble_parts(out: Path, folders: list[str]) -> tuple[dict, list[str]]:
    """Moves parts exported by earlier --parts runs (folders with export-result.json) into OUTPUT."""
    results, failures = {}, []
    for part in PARTS + OPTIONAL_PARTS:
        for folder in folders:
            found = Path(folder) / part / "export-result.json"
            if part not in results and found.exists():
                with open(found, encoding="utf-8") as f:
                    results[part] = json.load(f)
                if (out / part).exists():
                    shutil.rmtree(out / part)
                shutil.move(str(found.parent), str(out / part))
                log(f"{part}: assembled from {found.parent}")
                failures += failed_checks(part, results[part])
        if part not in results and part in PARTS:
            failures.append(f"{part}: no export-result.json under {folders}")
    return results, failures


def drop_failed_optional(out: Path, results: dict, failures: list[str]) -> tuple[list[str], dict]:
    """An optional part that failed leaves the folder without it: the runtime then uses what is there. Returns the
    failures that still count and why each optional part is missing."""
    missing: dict[str, str] = {}
    kept = []
    for f in failures:
        part = f.split(":", 1)[0]
        if part in OPTIONAL_PARTS:
            log(f"WARNING: {f}; the model folder has no {part}")
            missing[part] = f.split(":", 1)[1].strip()
            results.pop(part, None)
            if (out / part).exists():
                shutil.rmtree(out / part)
        else:
            kept.append(f)
    for part in OPTIONAL_PARTS:
        if part not in results and part not in missing:
            missing[part] = "not exported (--parts)"
    return kept, missing


def write_manifest(args, src: Path, out: Path, tokenizer_meta: dict, results: dict, missing: dict) -> Path:
    with open(src / "scheduler" / "scheduler_config.json", encoding="utf-8") as f:
        scheduler = json.load(f)
    with open(src / "model_index.json", encoding="utf-8") as f:
        model_index = json.load(f)
    transformer = dict(results["transformer"]["meta"])
    if "transformer_kernels" in results:
        transformer["kernels"] = results["transformer_kernels"]["meta"]
    else:
        transformer["kernels_missing"] = missing.get("transformer_kernels", "not exported")
    parts = [p for p in PARTS + OPTIONAL_PARTS if p in results]
    manifest = {
        "format": "sana-onnx/1",
        "name": args.name or src.resolve().name,
        "source": "tiny-random" if args.make_tiny else str(src),
        "source_pipeline": model_index.get("_class_name"),
        "exporter": {**{k: v for k, v in versions().items() if k in ("diffusers", "transformers", "torch", "onnx")},
                     "opset": args.opset, "ir_version": IR_VERSION, "script": "tools/export/export_sana.py"},
        "tokenizer": tokenizer_meta,
        "text_encoder": results["text_encoder"]["meta"],
        "transformer": transformer,
        "vae_decoder": results["vae_decoder"]["meta"],
        "scheduler": scheduler,
        "checks": {p: [{k: v for k, v in c.items() if k != "ok"} for c in results[p]["checks"]] for p in parts},
        # Last, once every other file is in place: what a silo checks a downloaded copy against (model_checksums.py).
        "files": file_checksums(out),
    }
    path = out / "sana-model.json"
    write_json(path, manifest)
    return path


def main() -> int:
    args = parse_args()
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
        "transformer_kernels": args.dtype,
        "text_encoder": args.text_encoder_dtype or args.dtype,
        "vae_decoder": args.vae_dtype or ("fp32" if args.dtype == "fp16" else args.dtype),
    }
    parts = [p.strip() for p in args.parts.split(",") if p.strip()] if args.assemble_from is None else []
    log(f"export {src} -> {out}: parts {parts}, dtypes {dtypes}, opset {args.opset}, check {not args.no_check}")
    log(f"versions: {versions()}")
    torch.manual_seed(0)
    out.mkdir(parents=True, exist_ok=True)
    if (out / "sana-model.json").exists():
        (out / "sana-model.json").unlink()

    failures: list[str] = []
    try:
        tokenizer_meta = copy_tokenizer(src, out)
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        failures.append(f"tokenizer: {type(e).__name__}: {e}")
        tokenizer_meta = None
    if args.assemble_from is None:
        results, part_failures = export_parts(args, src, out, parts, dtypes)
    else:
        results, part_failures = assemble_parts(out, args.assemble_from)
    failures, missing = drop_failed_optional(out, results, failures + part_failures)
    if failures or tokenizer_meta is None or any(p not in results for p in PARTS):
        absent = [p for p in PARTS if p not in results]
        log(f"EXPORT FAILED: {failures}; parts not exported: {absent}; no manifest written")
        return 1
    path = write_manifest(args, src, out, tokenizer_meta, results, missing)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    log(f"EXPORT OK: wrote {path}; folder {total / 1e6:.2f} MB")
    for p in PARTS + OPTIONAL_PARTS:
        for c in results.get(p, {}).get("checks", []):
            if "max_abs_diff" in c:
                log(f"  {c['label']}: max abs diff {c['max_abs_diff']:.3e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
