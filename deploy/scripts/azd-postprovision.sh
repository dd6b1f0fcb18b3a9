#!/usr/bin/env bash
# azd postprovision hook (azure.yaml): builds and uploads the silo package, and the model when SANA_MODEL_DIR is set
# (under the prefix SANA_MODEL_PREFIX, which is also the deployment's modelBlobPrefix). The VMs, already booting,
# wait for these blobs and start their silos once they arrive.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# azd exposes the deployment outputs to hooks as environment variables.
account=${STORAGEACCOUNTNAME:-${storageAccountName:-}}
[[ -n $account ]] || { echo "no storageAccountName output in the azd environment" >&2; exit 1; }
releases=${RELEASECONTAINERNAME:-${releaseContainerName:-releases}}
models=${MODELCONTAINERNAME:-${modelContainerName:-models}}

bash "$here/publish-silo.sh"
bash "$here/upload-silo.sh" "$account" "" "$releases"
if [[ -n ${SANA_MODEL_DIR:-} ]]; then
  bash "$here/upload-model.sh" "$account" "$SANA_MODEL_DIR" "${SANA_MODEL_PREFIX:?set SANA_MODEL_PREFIX with SANA_MODEL_DIR}" "$models"
else
  echo "SANA_MODEL_DIR is not set: no model uploaded (the silos use modelBlobPrefix, or the bundled tiny model)"
fi
