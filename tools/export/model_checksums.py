"""The "files" list of a model folder's manifest: every file but sana-model.json itself, with its SHA-256 and size.

    python tools/export/model_checksums.py MODEL_DIR           # (re)writes "files" in MODEL_DIR/sana-model.json
    python tools/export/model_checksums.py MODEL_DIR --check   # exit 1 when a file differs, is missing or unlisted

export_sana.py writes the list with the manifest; this script adds it to a folder exported before the list existed
(or refreshes it after a file was replaced on purpose). A silo that downloads the model from blob storage checks every
downloaded file against this list before it loads anything (docs/model-folder.md, docs/deploy.md). Standard library
only: runs wherever Python 3.9+ does, no torch needed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

MANIFEST = "sana-model.json"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_checksums(folder: Path | str) -> list[dict]:
    """Every regular file under `folder` except the manifest: {"path": POSIX path relative to the folder, "sha256":
    lowercase hex, "size": bytes}, sorted by path (byte order of the UTF-8 names, like LC_ALL=C sort)."""
    root = Path(folder)
    files = [p for p in root.rglob("*") if p.is_file() and p.relative_to(root).as_posix() != MANIFEST]
    entries = [{"path": p.relative_to(root).as_posix(), "sha256": sha256_of(p), "size": p.stat().st_size} for p in files]
    return sorted(entries, key=lambda e: e["path"].encode("utf-8"))


def problems(folder: Path | str, listed: list[dict]) -> list[str]:
    """What differs between the folder and a "files" list; empty when they agree."""
    actual = {e["path"]: e for e in file_checksums(folder)}
    found = []
    for e in listed:
        a = actual.pop(e["path"], None)
        if a is None:
            found.append(f"{e['path']}: listed but missing")
        elif a["sha256"] != e["sha256"].lower() or a["size"] != e["size"]:
            found.append(f"{e['path']}: sha256 {a['sha256']} ({a['size']} bytes), listed {e['sha256']} ({e['size']} bytes)")
    found.extend(f"{p}: present but not listed" for p in actual)
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("--check", action="store_true", help="only compare the folder with the manifest's list")
    args = ap.parse_args()
    folder = Path(args.model_dir)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        print(f"{manifest_path}: missing (not a Sana model folder)", file=sys.stderr)
        return 2
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    if args.check:
        listed = manifest.get("files")
        if not listed:
            print(f"{manifest_path}: lists no files; run tools/export/model_checksums.py {folder}", file=sys.stderr)
            return 1
        found = problems(folder, listed)
        for p in found:
            print(f"{folder}/{p}", file=sys.stderr)
        print(f"{folder}: {len(listed)} files, {'OK' if not found else f'{len(found)} problem(s)'}")
        return 1 if found else 0
    manifest["files"] = file_checksums(folder)
    # The manifest's own format (sana_common.write_json): indent 1, UTF-8, strict JSON, trailing newline.
    text = json.dumps(manifest, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
    tmp = manifest_path.with_name(MANIFEST + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(manifest_path)
    total = sum(e["size"] for e in manifest["files"])
    print(f"{manifest_path}: {len(manifest['files'])} files, {total} bytes, listed with their SHA-256")
    return 0


if __name__ == "__main__":
    sys.exit(main())
