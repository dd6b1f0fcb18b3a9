#!/usr/bin/env bash
# Uploads a model folder (made by tools/export) under a prefix of the models container, then a SHA256SUMS file
# (written here, not into the folder) that the VMs check every downloaded file against. Prints the SHA-256 of
# SHA256SUMS: pass it as the modelSha256SumsDigest parameter to pin this exact model.
# Usage: deploy/scripts/upload-model.sh STORAGE_ACCOUNT MODEL_DIR PREFIX [CONTAINER]
set -euo pipefail

account=${1:?usage: upload-model.sh STORAGE_ACCOUNT MODEL_DIR PREFIX [CONTAINER]}
dir=${2:?model folder missing}
prefix=${3:?blob prefix missing, e.g. sana-1600m}
container=${4:-models}
prefix=${prefix%/}

test -f "$dir/sana-model.json" || { echo "$dir has no sana-model.json: not a Sana model folder" >&2; exit 1; }
sums=$(mktemp)
trap 'rm -f "$sums"' EXIT
(cd "$dir" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum >"$sums")
echo "$(grep -c . "$sums") files in $dir"

for attempt in 1 2 3 4 5 6 7 8 9 10; do
  # SHA256SUMS goes last, so a VM never sees a list whose files are not all there.
  if az storage blob upload-batch --auth-mode login --account-name "$account" --destination "$container" \
    --destination-path "$prefix" --source "$dir" --overwrite --only-show-errors >/dev/null &&
    az storage blob upload --auth-mode login --account-name "$account" --container-name "$container" \
      --name "$prefix/SHA256SUMS" --file "$sums" --overwrite --only-show-errors >/dev/null; then
    break
  fi
  [[ $attempt -lt 10 ]] || exit 1
  echo "upload failed (attempt $attempt); retrying in 30 s" >&2
  sleep 30
done
echo "uploaded $dir to $container/$prefix"
echo "modelSha256SumsDigest: $(sha256sum "$sums" | awk '{print $1}')"
