#!/usr/bin/env bash
# Uploads a model folder (made by tools/export) under a prefix of the models container. Its sana-model.json lists every
# other file with its SHA-256 and size ("files", written by export_sana.py or tools/export/model_checksums.py); the
# folder is checked against that list first, the files are uploaded, and the manifest goes last, so a silo never sees a
# manifest whose files are not all there. Each silo downloads the folder at start and checks every file against the
# manifest. Prints the manifest's SHA-256: pass it as the modelManifestSha256 parameter to pin this exact model.
# Usage: deploy/scripts/upload-model.sh STORAGE_ACCOUNT MODEL_DIR PREFIX [CONTAINER]
set -euo pipefail

account=${1:?usage: upload-model.sh STORAGE_ACCOUNT MODEL_DIR PREFIX [CONTAINER]}
dir=${2:?model folder missing}
prefix=${3:?blob prefix missing, e.g. sana-1600m}
container=${4:-models}
prefix=${prefix%/}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
checksums="$here/../../tools/export/model_checksums.py"

test -f "$dir/sana-model.json" || { echo "$dir has no sana-model.json: not a Sana model folder" >&2; exit 1; }
if ! python3 "$checksums" "$dir" --check; then
  echo "$dir does not match the file list in its sana-model.json; for a folder exported before the list existed run" >&2
  echo "  python3 tools/export/model_checksums.py $dir" >&2
  exit 1
fi

upload() { # FILE BLOB_NAME
  az storage blob upload --auth-mode login --account-name "$account" --container-name "$container" \
    --name "$2" --file "$1" --overwrite --only-show-errors >/dev/null
}

for attempt in 1 2 3 4 5 6 7 8 9 10; do
  ok=1
  while IFS= read -r -d '' file; do
    upload "$dir/$file" "$prefix/$file" || { ok=0; break; }
  done < <(cd "$dir" && find . -type f ! -name sana-model.json -printf '%P\0' | LC_ALL=C sort -z)
  # The manifest last: it is what the silos look for.
  if [[ $ok == 1 ]] && upload "$dir/sana-model.json" "$prefix/sana-model.json"; then
    break
  fi
  [[ $attempt -lt 10 ]] || exit 1
  echo "upload failed (attempt $attempt); retrying in 30 s" >&2
  sleep 30
done
echo "uploaded $dir to $container/$prefix"
echo "modelManifestSha256: $(sha256sum "$dir/sana-model.json" | awk '{print $1}')"
