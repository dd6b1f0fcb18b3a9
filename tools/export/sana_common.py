"""Helpers shared by the export and fixture scripts: logging, strict JSON, versions, diffusers' default CHI."""

from __future__ import annotations

import importlib
import inspect
import json
import math
import platform
import sys
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


def script_dir() -> Path:
    return Path(__file__).resolve().parent


def add_script_dir_to_path() -> None:
    d = str(script_dir())
    if d not in sys.path:
        sys.path.insert(0, d)
