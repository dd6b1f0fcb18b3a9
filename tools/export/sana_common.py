"""Helpers shared by the export and fixture scripts: logging, strict JSON, versions, diffusers' default CHI, the
output folder rule and the random Sana modules both model makers build."""

from __future__ import annotations

import importlib
import inspect
import json
import math
import platform
import shutil
import time
from pathlib import Path
from typing import Any

_T0 = time.time()


def log(msg: str) -> None:
    print(f"[{time.time() - _T0:7.1f}s] {msg}", flush=True)


def strict_json(obj: Any) -> Any:
    """Non-finite floats become the strings "Infinity", "-Infinity", "NaN" (readable by System.Text.Json with
    JsonNumberHandling.AllowNamedFloatingPointLiterals); tuples become lists."""
    if isinstance(obj, float):
        if math.isnan(obj):
            return "NaN"
        if math.isinf(obj):
            return "Infinity" if obj > 0 else "-Infinity"
        return obj
    if isinstance(obj, dict):
        return {str(k): strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict_json(v) for v in obj]
    return obj


def write_json(path: Path | str, obj: Any, indent: int | None = 1) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(strict_json(obj), f, ensure_ascii=False, indent=indent, allow_nan=False)
        f.write("\n")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("torch", "diffusers", "transformers", "tokenizers", "onnx", "onnxruntime", "numpy", "sentencepiece"):
        try:
            out[name] = importlib.import_module(name).__version__
        except Exception as e:  # noqa: BLE001 - a missing package is reported, not fatal
            out[name] = f"unavailable ({type(e).__name__})"
    return out


def default_chi() -> list[str]:
    """diffusers' default complex human instruction, read from SanaPipeline.__call__'s signature."""
    from diffusers import SanaPipeline

    default = inspect.signature(SanaPipeline.__call__).parameters["complex_human_instruction"].default
    return list(default)


def replace_output(out: Path, force: bool) -> bool:
    """The model makers' rule for their output folder: an existing one is replaced only with --force. False (after
    saying why) when it exists and may not be replaced."""
    if out.exists():
        if not force:
            log(f"{out} exists (use --force)")
            return False
        shutil.rmtree(out)
    return True


def build_sana_modules(gemma_config, transformer_kwargs: dict, vae_kwargs: dict, seed: int, dtype=None, device=None):
    """Gemma-2 text encoder, Sana transformer and DC-AE with random weights from diffusers' and transformers' own
    classes and initialisers: each module from its own seed (seed, seed + 1, seed + 2), so one module's size never
    changes another's weights. Built in float32 on `device` and cast to `dtype` afterwards (a module built under a
    bf16 default dtype would also create its buffers in bf16). Returns (text_encoder, transformer, vae) in eval mode."""
    import torch
    from diffusers import AutoencoderDC, SanaTransformer2DModel
    from transformers import Gemma2Model

    try:
        gemma_config._attn_implementation = "eager"
    except Exception as e:  # noqa: BLE001 - the weights do not depend on it; loaders choose the attention
        log(f"(could not set eager attention on the config: {e})")
    with torch.device(device if device is not None else "cpu"):
        torch.manual_seed(seed)
        text_encoder = Gemma2Model(gemma_config)
        torch.manual_seed(seed + 1)
        transformer = SanaTransformer2DModel(**transformer_kwargs)
        torch.manual_seed(seed + 2)
        vae = AutoencoderDC(**vae_kwargs)
    modules = (text_encoder, transformer, vae)
    if dtype is not None:
        modules = tuple(m.to(dtype) for m in modules)
    return tuple(m.eval() for m in modules)


def parameter_count(module) -> int:
    return sum(p.numel() for p in module.parameters())
