#!/usr/bin/env bash
# Downloads the silo build from the cluster's storage account with the VM's managed identity, checks its SHA-256 and
# installs it atomically: <releases>/<package>.tar.gz, checked against SANA_SILO_PACKAGE_SHA256 or <package>.sha256
# beside it, unpacked into /opt/sana/releases/<sha256>, linked as /opt/sana/current.
# The model is not fetched here: the silo downloads it itself from the blob folder in Sana__ModelPath
# (/etc/sana/silo.env) into /var/lib/sana/models and checks every file against its sana-model.json (docs/deploy.md).
# Waits (up to SANA_FETCH_TIMEOUT_SECONDS, default 90 min) for a build that is not uploaded yet and for the role
# assignment to reach the VM. Run it again to roll out a new build, then `systemctl restart sana-silo`.
set -euo pipefail

# shellcheck source=/dev/null
source /etc/sana/deploy.env
endpoint="${SANA_BLOB_ENDPOINT%/}"
deadline=$(($(date +%s) + ${SANA_FETCH_TIMEOUT_SECONDS:-5400}))

log() { echo "sana-fetch: $*"; }

token() {
  curl -fsS --retry 5 -H Metadata:true \
    'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F' |
    jq -er .access_token
}

# get_blob CONTAINER NAME DEST: downloads one blob, waiting while it is missing or access is not granted yet.
get_blob() {
  local url="${endpoint}/$1/$2" status
  while true; do
    status=$(curl -sS --retry 5 -o "$3" -w '%{http_code}' \
      -H "Authorization: Bearer $(token)" -H 'x-ms-version: 2023-11-03' "$url") || status=000
    [[ $status == 200 ]] && return 0
    rm -f "$3"
    if (($(date +%s) > deadline)); then
      log "giving up on $url (HTTP $status)"
      return 1
    fi
    log "waiting for $url (HTTP $status: not uploaded yet, or the role assignment has not reached this VM)"
    sleep 30
  done
}

fetch_build() {
  local tmp expected
  tmp=$(mktemp -d)
  get_blob "$SANA_RELEASE_CONTAINER" "$SANA_SILO_PACKAGE" "$tmp/package.tar.gz"
  expected="${SANA_SILO_PACKAGE_SHA256:-}"
  if [[ -z $expected ]]; then
    get_blob "$SANA_RELEASE_CONTAINER" "${SANA_SILO_PACKAGE}.sha256" "$tmp/package.sha256"
    expected=$(awk '{print $1; exit}' "$tmp/package.sha256")
  fi
  expected=${expected,,}
  [[ $expected =~ ^[0-9a-f]{64}$ ]] || { log "bad SHA-256 '$expected' for the silo build"; return 1; }
  echo "${expected}  $tmp/package.tar.gz" | sha256sum --check --strict --quiet -
  log "silo build ${SANA_SILO_PACKAGE} verified (sha256 ${expected})"
  local release="/opt/sana/releases/${expected}"
  if [[ ! -x $release/sana ]]; then
    rm -rf "${release}.new"
    mkdir -p "${release}.new"
    tar -xzf "$tmp/package.tar.gz" -C "${release}.new" --no-same-owner
    [[ -x ${release}.new/sana ]] || { log "the build has no executable 'sana' at its root"; return 1; }
    rm -rf "$release"
    mv "${release}.new" "$release"
  fi
  ln -sfn "$release" /opt/sana/current.new
  mv -T /opt/sana/current.new /opt/sana/current
  rm -rf "$tmp"
}

fetch_build
