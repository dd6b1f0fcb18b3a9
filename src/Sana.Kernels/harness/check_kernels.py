"""The kernel harness for the GPU machine: every op of libsana_kernels.so, CUDA and CPU, against PyTorch.

    python3 src/Sana.Kernels/harness/check_kernels.py LIB.so [--out DIR] [--no-compile] [--budget-s 240]
        [--checks-only | --timings-only]

Correctness: each op on fresh random inputs (batch 1 and 32, Sana's sizes, odd sizes that take the scalar paths,
PAG on and off), CUDA in float16, bfloat16 and float32 and the CPU implementation on the small cases, against a
float64 PyTorch reference of the op's definition (src/Sana.Kernels/README.md): relative L2 error and max abs error,
output buffers poisoned with NaN first so an element left unwritten fails. Speed: at Sana 1600M's and 600M's sizes,
the CUDA op against the same maths in PyTorch eager (the diffusers code) and under torch.compile, CUDA events,
median of repeated runs over rotating input sets; bytes moved over time as GB/s. Writes kernels.json and kernels.md
to --out (kernels-checks.* / kernels-timings.* with --checks-only / --timings-only) and prints the tables last. Exit
code 1 when any check fails. torch.compile runs at the first (1600M batch 16) sizes only: each compile costs seconds.
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
ONNX_TYPE = {torch.float32: 1, torch.float16: 10, torch.bfloat16: 16}
TOLERANCE = {torch.float32: 1e-5, torch.float16: 2e-3, torch.bfloat16: 1.6e-2}  # relative L2 error


class Library:
    def __init__(self, path: str):
        self.lib = ctypes.CDLL(path)
        i64, vp, f32, i32 = ctypes.c_int64, ctypes.c_void_p, ctypes.c_float, ctypes.c_int
        self.lib.sana_kernels_last_error.restype = ctypes.c_char_p
        self.lib.sana_residual_norm.argtypes = [i32, i32, i64, i64, i64, vp, vp, vp, vp, i64, i64, i32, vp, i64, i64,
                                                i64, f32, vp, vp, vp]
        self.lib.sana_linear_attention_state.argtypes = [i32, i32, i64, i64, i64, i64, vp, vp, vp, vp]
        self.lib.sana_linear_attention_apply.argtypes = [i32, i32, i64, i64, i64, i64, vp, vp, vp, vp, i64, i64, vp,
                                                         f32, vp, vp]
        self.lib.sana_depthwise_glu.argtypes = [i32, i32, i64, i64, i64, i64, vp, vp, vp, vp, vp, vp]

    def call(self, name: str, *args):
        if getattr(self.lib, name)(*args) != 0:
            raise RuntimeError(f"{name}: {self.lib.sana_kernels_last_error().decode()}")


def ptr(t: torch.Tensor | None):
    return None if t is None else ctypes.c_void_p(t.data_ptr())


def device_code(t: torch.Tensor) -> int:
    return 1 if t.is_cuda else 0


def stream(t: torch.Tensor):
    return ctypes.c_void_p(torch.cuda.current_stream().cuda_stream) if t.is_cuda else None


def rnd(t: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """What a float64 tensor becomes once stored as dtype."""
    return t.to(dtype).to(torch.float64)


def poisoned(shape, dtype, device) -> torch.Tensor:
    return torch.full(shape, float("nan"), dtype=dtype, device=device)


# ------------------------------------------------------------------------------------------------ the ops, three ways
def op_residual_norm(lib, x, y, bias, gate_mod, gate_row, clip, norm_mod, shift_row, scale_row, eps, with_norm=True):
    b, n, d = x.shape
    x_out = poisoned(x.shape, x.dtype, x.device) if y is not None else None
    norm = poisoned(x.shape, x.dtype, x.device) if with_norm else None
    lib.call("sana_residual_norm", device_code(x), ONNX_TYPE[x.dtype], b, n, d, ptr(x), ptr(y), ptr(bias),
             ptr(gate_mod), 0 if gate_mod is None else gate_mod.shape[1], gate_row, int(clip), ptr(norm_mod),
             0 if norm_mod is None else norm_mod.shape[1], shift_row, scale_row, eps, ptr(x_out), ptr(norm),
             stream(x))
    return x_out, norm


def ref_residual_norm(x, y, bias, gate_mod, gate_row, clip, norm_mod, shift_row, scale_row, eps, with_norm=True):
    dt = x.dtype
    v = x.double()
    if y is not None:
        yy = y.double()
        if bias is not None:
            yy = rnd(yy + bias.double(), dt)
        if clip:
            yy = yy.clamp(-65504, 65504)
        gate = gate_mod[:, gate_row:gate_row + 1].double() if gate_mod is not None else 1.0
        v = rnd(v + gate * yy, dt)
    norm = None
    if with_norm:
        normed = F.layer_norm(v, (v.shape[-1],), eps=eps)
        norm = normed * (1 + norm_mod[:, scale_row:scale_row + 1].double()) + norm_mod[:, shift_row:shift_row + 1].double()
    return (v if y is not None else None), norm


def eager_residual_norm(x, y, bias, gate_mod, norm_mod):
    """diffusers' arithmetic for the same step: gated residual then the modulated norm of the next block."""
    x = x + gate_mod[:, 5:6] * (y + bias)
    return x, F.layer_norm(x, (x.shape[-1],), eps=1e-6) * (1 + norm_mod[:, 1:2]) + norm_mod[:, 0:1]


def op_linear_attention(lib, qkv, bias, heads, layer_mask, sample_mask, layer, eps=1e-15):
    b, n, w3 = qkv.shape
    hd = w3 // 3 // heads
    state = poisoned((b, heads, hd + 1, hd), torch.float32, qkv.device)
    out = poisoned((b, n, heads * hd), qkv.dtype, qkv.device)
    dev, dt, s = device_code(qkv), ONNX_TYPE[qkv.dtype], stream(qkv)
    lib.call("sana_linear_attention_state", dev, dt, b, n, heads, hd, ptr(qkv), ptr(bias), ptr(state), s)
    lib.call("sana_linear_attention_apply", dev, dt, b, n, heads, hd, ptr(qkv), ptr(bias), ptr(state), ptr(layer_mask),
             0 if layer_mask is None else layer_mask.numel(), layer, ptr(sample_mask), eps, ptr(out), s)
    return state, out


def ref_linear_attention(qkv, bias, heads, layer_mask, sample_mask, layer, eps=1e-15):
    dt = qkv.dtype
    b, n, w3 = qkv.shape
    w = w3 // 3
    hd = w // heads
    p = qkv.double() + (bias.double() if bias is not None else 0.0)
    p = rnd(p, dt)
    q, k, v = (p[..., i * w:(i + 1) * w].reshape(b, n, heads, hd) for i in range(3))
    q, k = q.clamp_min(0), k.clamp_min(0)
    vk = torch.einsum("bnhi,bnhj->bhij", v, k)
    ksum = k.sum(1)  # b, h, j
    state = torch.cat([vk, ksum[:, :, None, :]], dim=2)
    num = torch.einsum("bhij,bnhj->bnhi", vk, q)
    den = torch.einsum("bhj,bnhj->bnh", ksum, q)[..., None]
    out = (num / (den + eps)).reshape(b, n, w)
    if layer_mask is not None:
        identity = (layer_mask[layer] * sample_mask > 0.5).reshape(b, 1, 1)
        out = torch.where(identity, v.reshape(b, n, w), out)
    return state, out


def eager_linear_attention(qkv, heads):
    """diffusers' SanaLinearAttnProcessor2_0 from the projections to the output (bias-free projections, as Sana's)."""
    b, n, w3 = qkv.shape
    query, key, value = qkv.chunk(3, dim=-1)
    dtype = qkv.dtype
    query = query.transpose(1, 2).unflatten(1, (heads, -1))
    key = key.transpose(1, 2).unflatten(1, (heads, -1)).transpose(2, 3)
    value = value.transpose(1, 2).unflatten(1, (heads, -1))
    query, key = F.relu(query), F.relu(key)
    query, key, value = query.float(), key.float(), value.float()
    value = F.pad(value, (0, 0, 0, 1), mode="constant", value=1.0)
    scores = torch.matmul(value, key)
    hidden = torch.matmul(scores, query)
    hidden = hidden[:, :, :-1] / (hidden[:, :, -1:] + 1e-15)
    return hidden.flatten(1, 2).transpose(1, 2).to(dtype)


def op_depthwise(lib, h, bias_in, weight, bias_dw, height, width):
    b, n, c2 = h.shape
    out = poisoned((b, n, c2 // 2), h.dtype, h.device)
    lib.call("sana_depthwise_glu", device_code(h), ONNX_TYPE[h.dtype], b, height, width, c2 // 2, ptr(h), ptr(bias_in),
             ptr(weight), ptr(bias_dw), ptr(out), stream(h))
    return out


def ref_depthwise(h, bias_in, weight, bias_dw, height, width):
    dt = h.dtype
    b, n, c2 = h.shape
    a = F.silu(rnd(h.double() + bias_in.double(), dt))
    image = a.reshape(b, height, width, c2).permute(0, 3, 1, 2)
    w = weight.double().permute(2, 0, 1).reshape(c2, 1, 3, 3)
    conv = F.conv2d(image, w, bias_dw.double(), padding=1, groups=c2).permute(0, 2, 3, 1).reshape(b, n, c2)
    value, gate = conv.chunk(2, dim=-1)
    return value * F.silu(gate)


def eager_depthwise(h, bias_in, weight_nchw, bias_dw, height, width):
    """diffusers' GLUMBConv middle (after conv_inverted's GEMM) on the token layout: bias, SiLU, depthwise conv, GLU."""
    b, n, c2 = h.shape
    image = F.silu(h + bias_in).reshape(b, height, width, c2).permute(0, 3, 1, 2)
    conv = F.conv2d(image, weight_nchw, bias_dw, padding=1, groups=c2)
    value, gate = torch.chunk(conv, 2, dim=1)
    return (value * F.silu(gate)).permute(0, 2, 3, 1).reshape(b, n, c2 // 2)


# ---------------------------------------------------------------------------------------------------- correctness
def rel_error(got: torch.Tensor, ref: torch.Tensor) -> tuple[float, float, bool]:
    g = got.double().cpu()
    r = ref.double().cpu()
    finite = bool(torch.isfinite(g).all())
    err = float((g - r).norm() / r.norm().clamp_min(1e-30))
    return err, float((g - r).abs().max()) if g.numel() else 0.0, finite


def checks(lib, device, dtype, rows):
    gen = torch.Generator(device="cpu").manual_seed(int(time.time()) % 100000)

    def randn(*shape, scale=1.0):
        return (torch.randn(*shape, generator=gen) * scale).to(device=device, dtype=dtype)

    results = []

    def record(op, case, got, ref):
        err, max_abs, finite = rel_error(got, ref)
        ok = finite and err <= TOLERANCE[dtype]
        results.append({"op": op, "case": case, "device": device, "dtype": str(dtype).split(".")[-1],
                        "rel_l2": err, "max_abs": max_abs, "ok": ok})

    small = device == "cpu"
    norm_cases = [(1, 37, 40), (3, 5, 77), (2, 9, 2240)] + ([] if small else [(32, 1024, 2240), (2, 1024, 1152)])
    for b, n, d in norm_cases:
        x, y, bias = randn(b, n, d), randn(b, n, d, scale=3), randn(d, scale=0.1)
        gm, nm = randn(b, 6, d, scale=0.5), randn(b, 2, d, scale=0.5)
        case = f"B={b} N={n} D={d}"
        got = op_residual_norm(lib, x, y, bias, gm, 2, True, None, 0, 0, 1e-6, with_norm=False)
        ref = ref_residual_norm(x, y, bias, gm, 2, True, None, 0, 0, 1e-6, with_norm=False)
        record("GatedResidual", case, got[0], ref[0])
        got = op_residual_norm(lib, x, y, bias, gm, 5, False, nm, 0, 1, 1e-6)
        ref = ref_residual_norm(x, y, bias, gm, 5, False, nm, 0, 1, 1e-6)
        record("ResidualModulatedNorm.x", case, got[0], ref[0])
        record("ResidualModulatedNorm.norm", case, got[1], ref[1])
        got = op_residual_norm(lib, x, y, None, None, -1, False, gm, 3, 4, 1e-6)
        ref = ref_residual_norm(x, y, None, None, -1, False, gm, 3, 4, 1e-6)
        record("ResidualModulatedNorm(no gate, no bias).norm", case, got[1], ref[1])
        got = op_residual_norm(lib, x, None, None, None, -1, False, gm, 0, 1, 1e-6)
        ref = ref_residual_norm(x, None, None, None, -1, False, gm, 0, 1, 1e-6)
        record("ModulatedNorm", case, got[1], ref[1])

    attn_cases = [(1, 37, 3, 8), (3, 64, 2, 16), (2, 130, 5, 32), (1, 17, 2, 64)]
    if not small:
        attn_cases += [(32, 1024, 70, 32), (2, 1024, 36, 32)]
    elif device == "cpu":
        attn_cases += [(2, 33, 3, 5)]  # a head size only the CPU implementation takes
    for b, n, heads, hd in attn_cases:
        w = heads * hd
        qkv, bias = randn(b, n, 3 * w), randn(3 * w, scale=0.2)
        lm = torch.tensor([0.0, 1.0, 0.0], device=device)
        sm = torch.zeros(b, device=device)
        sm[-1] = 1.0
        for label, layer_mask, sample_mask, layer, use_bias in (("PAG off", None, None, 0, True),
                                                                 ("PAG on, last sample", lm, sm, 1, True),
                                                                 ("no bias", None, None, 0, False)):
            case = f"B={b} N={n} H={heads} d={hd} {label}"
            bb = bias if use_bias else None
            state, out = op_linear_attention(lib, qkv, bb, heads, layer_mask, sample_mask, layer)
            rstate, rout = ref_linear_attention(qkv, bb, heads, layer_mask, sample_mask, layer)
            record("LinearAttentionState", case, state, rstate)
            record("LinearAttention", case, out, rout)

    dw_cases = [(1, 5, 7, 40), (2, 9, 11, 13), (1, 3, 70, 24)]
    if not small:
        dw_cases += [(32, 32, 32, 5600), (2, 64, 40, 2880)]
    for b, hh, ww, c in dw_cases:
        h = randn(b, hh * ww, 2 * c, scale=2)
        bias_in, weight, bias_dw = randn(2 * c, scale=0.3), randn(3, 3, 2 * c, scale=0.3), randn(2 * c, scale=0.3)
        got = op_depthwise(lib, h, bias_in, weight, bias_dw, hh, ww)
        record("DepthwiseConvGlu", f"B={b} {hh}x{ww} C={c}", got, ref_depthwise(h, bias_in, weight, bias_dw, hh, ww))
    rows.extend(results)


# --------------------------------------------------------------------------------------------------------- timing
def time_ms(fn, sets: list, repeats: int) -> float:
    """Median of CUDA-event times of fn(*set), rotating over input sets so repeated runs do not sit in L2."""
    for s in sets:
        fn(*s)
    torch.cuda.synchronize()
    times = []
    for i in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s = sets[i % len(sets)]
        start.record()
        fn(*s)
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def timings(lib, compile_ops: bool, deadline: float, rows):
    dt = torch.float16
    dev = "cuda"
    for label, b, heads, d, c in (("1600M batch 16 (CFG 32)", 32, 70, 2240, 5600), ("1600M batch 1 (CFG 2)", 2, 70, 2240, 5600),
                                  ("600M batch 16 (CFG 32)", 32, 36, 1152, 2880)):
        n, hh, ww = 1024, 32, 32
        sets = 3

        def r(*shape, scale=1.0):
            return [(torch.randn(*shape, device=dev) * scale).to(dt) for _ in range(sets)]

        x, y, gm, nm = r(b, n, d), r(b, n, d), r(b, 6, d, scale=0.5), r(b, 6, d, scale=0.5)
        bias = r(d, scale=0.1)
        qkv = r(b, n, 3 * d)
        h = r(b, n, 2 * c)
        bin_, bdw = r(2 * c, scale=0.3), r(2 * c, scale=0.3)
        w = r(3, 3, 2 * c, scale=0.3)
        w_nchw = [t.permute(2, 0, 1).reshape(2 * c, 1, 3, 3).contiguous() for t in w]
        el = 2  # bytes per element
        cases = [
            ("ResidualModulatedNorm", 4 * b * n * d * el,
             lambda i: op_residual_norm(lib, x[i], y[i], bias[i], gm[i], 5, False, nm[i], 0, 1, 1e-6),
             lambda i: (eager_residual_norm, (x[i], y[i], bias[i], gm[i], nm[i]))),
            ("LinearAttention (state + apply)", (3 * b * n * d + b * n * d) * el,
             lambda i: op_linear_attention(lib, qkv[i], None, heads, None, None, 0),
             lambda i: (functools.partial(eager_linear_attention, heads=heads), (qkv[i],))),
            ("DepthwiseConvGlu", (2 * b * n * c + b * n * c) * el,
             lambda i: op_depthwise(lib, h[i], bin_[i], w[i], bdw[i], hh, ww),
             lambda i: (functools.partial(eager_depthwise, height=hh, width=ww), (h[i], bin_[i], w_nchw[i], bdw[i]))),
        ]
        for name, nbytes, ours, theirs in cases:
            if time.time() > deadline:
                rows.append({"shape": label, "op": name, "skipped": "time budget"})
                continue
            index_sets = [(i,) for i in range(sets)]
            fn = theirs(0)[0]
            t_ours = time_ms(ours, index_sets, 30)
            t_eager = time_ms(lambda i: fn(*theirs(i)[1]), index_sets, 30)
            t_compile = None
            if compile_ops and label.startswith("1600M batch 16") and time.time() < deadline - 60:
                compiled = torch.compile(fn, dynamic=False)
                t_compile = time_ms(lambda i: compiled(*theirs(i)[1]), index_sets, 30)
            rows.append({"shape": label, "op": name, "ours_ms": t_ours, "eager_ms": t_eager, "compile_ms": t_compile,
                         "ours_gbps": nbytes / t_ours / 1e6, "min_bytes": nbytes})
            torch.cuda.synchronize()


def markdown(check_rows, time_rows, meta) -> str:
    lines = [f"# sana kernels harness: {meta['gpu']}, torch {meta['torch']}, CUDA {meta['cuda']}", "",
             "## Correctness (relative L2 error against a float64 reference; poisoned outputs)", "",
             "| op | case | device | dtype | rel L2 | max abs | ok |", "|---|---|---|---|---:|---:|---|"]
    for r in check_rows:
        lines.append(f"| {r['op']} | {r['case']} | {r['device']} | {r['dtype']} | {r['rel_l2']:.2e} | "
                     f"{r['max_abs']:.2e} | {'ok' if r['ok'] else 'FAILED'} |")
    lines += ["", "## Speed (fp16, ms, median over rotating input sets; GB/s = fewest bytes / our time)", "",
              "| shape | op | ours | eager | torch.compile | ours GB/s | eager / ours | compile / ours |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in time_rows:
        if "skipped" in r:
            lines.append(f"| {r['shape']} | {r['op']} | skipped: {r['skipped']} | | | | | |")
            continue
        c = r["compile_ms"]
        compiled = "" if c is None else f"{c:.3f}"
        compiled_ratio = "" if c is None else f"{c / r['ours_ms']:.2f}"
        lines.append(f"| {r['shape']} | {r['op']} | {r['ours_ms']:.3f} | {r['eager_ms']:.3f} | {compiled} | "
                     f"{r['ours_gbps']:.0f} | {r['eager_ms'] / r['ours_ms']:.2f} | {compiled_ratio} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("library")
    ap.add_argument("--out", default=".")
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--budget-s", type=float, default=240)
    only = ap.add_mutually_exclusive_group()
    only.add_argument("--checks-only", action="store_true")
    only.add_argument("--timings-only", action="store_true")
    a = ap.parse_args()
    deadline = time.time() + a.budget_s
    lib = Library(a.library)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    check_rows: list[dict] = []
    if not a.timings_only:
        for dtype in (torch.float16, torch.bfloat16, torch.float32):
            checks(lib, "cuda", dtype, check_rows)
        for dtype in (torch.float16, torch.float32):
            checks(lib, "cpu", dtype, check_rows)
    time_rows: list[dict] = []
    if not a.checks_only:
        timings(lib, not a.no_compile, deadline, time_rows)
    meta = {"gpu": torch.cuda.get_device_name(), "torch": torch.__version__, "cuda": torch.version.cuda}
    name = "kernels-checks" if a.checks_only else "kernels-timings" if a.timings_only else "kernels"
    (out / f"{name}.json").write_text(json.dumps({"meta": meta, "checks": check_rows, "timings": time_rows}, indent=1))
    text = markdown(check_rows, time_rows, meta)
    (out / f"{name}.md").write_text(text)
    print(text)
    failed = [r for r in check_rows if not r["ok"]]
    print(f"{len(check_rows) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
