#!/usr/bin/env bash
# Uploads the silo package (and its .sha256) made by publish-silo.sh to the releases container, with your Entra ID
# login (shared keys are off on the account; the deployment grants you Storage Blob Data Contributor).
# Usage: deploy/scripts/upload-silo.sh STORAGE_ACCOUNT [PACKAGE_DIR] [CONTAINER]
set -euo pipefail

account=${1:?usage: upload-silo.sh STORAGE_ACCOUNT [PACKAGE_DIR] [CONTAINER]}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=${2:-$root/artifacts/deploy}
container=${3:-releases}
package=sana-linux-x64.tar.gz

for file in "$package" "$package.sha256"; do
  # Role assignments can take a few minutes to apply after a deployment: retry.
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if az storage blob upload --auth-mode login --account-name "$account" --container-name "$container" \
      --name "$file" --file "$dir/$file" --overwrite --only-show-errors >/dev/null; then
      echo "uploaded $container/$file"
      break
    fi
    [[ $attempt -lt 10 ]] || exit 1
    echo "upload failed (attempt $attempt); retrying in 30 s" >&2
    sleep 30
  done
done
