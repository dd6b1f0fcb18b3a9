"""Writing and checking ONNX graphs for the exporter: torch.onnx.export (the TorchScript exporter) with the fixes every
graph needs (positive Transpose perms, ir_version 10 for ONNX Runtime), external data for large weights, and the
comparison of an ONNX Runtime run with PyTorch's."""

from __future__ import annotations

import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sana_common import log

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
NP_DTYPES = {"fp32": np.float32, "fp16": np.float16}
TOLERANCE = {"fp32": 1e-3, "fp16": 3e-2, "bf16": 1e-1}  # relative to max(1, max |reference|)
IR_VERSION = 10


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
def ort_session(path: Path, custom_ops_library: str | None = None):
    """An ONNX Runtime CPU session on the graph; custom_ops_library registers our kernel library's ops first."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    if custom_ops_library is not None:
        so.register_custom_ops_library(custom_ops_library)
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
