#!/usr/bin/env bash
# Downloads the silo build and the model from the cluster's storage account with the VM's managed identity, checks
# their SHA-256 sums and installs them atomically:
#   build: <releases>/<package>.tar.gz, checked against SANA_SILO_PACKAGE_SHA256 or <package>.sha256 beside it,
#          unpacked into /opt/sana/releases/<sha256>, linked as /opt/sana/current
#   model: <models>/<prefix>/SHA256SUMS (pinned by SANA_MODEL_SUMS_SHA256 when set) and every file it lists,
#          checked with sha256sum -c, moved into /var/lib/sana/model; an empty prefix links the bundled tiny model
# Waits (up to SANA_FETCH_TIMEOUT_SECONDS, default 90 min) for blobs that are not uploaded yet and for the role
# assignment to reach the VM. Run it again to roll out a new build or model, then `systemctl restart sana-silo`.
set -euo pipefail

# shellcheck source=/dev/null
source /etc/sana/deploy.env
endpoint="${SANA_BLOB_ENDPOINT%/}"
deadline=$(($(date +%s) + ${SANA_FETCH_TIMEOUT_SECONDS:-5400}))
model_dir=/var/lib/sana/model

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

# A path from SHA256SUMS must stay inside the model folder.
check_relative_path() {
  if [[ -z $1 || $1 == /* || $1 == *..* || ! $1 =~ ^[A-Za-z0-9._/-]+$ ]]; then
    log "refusing suspicious path '$1' in SHA256SUMS"
    return 1
  fi
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

fetch_model() {
  if [[ -z ${SANA_MODEL_PREFIX:-} ]]; then
    log "no model prefix: using the bundled tiny model"
    rm -rf "$model_dir"
    ln -sfn /opt/sana/current/models/tiny-sana "$model_dir"
    return 0
  fi
  local prefix="${SANA_MODEL_PREFIX%/}" staging="${model_dir}.new" sums sum path
  rm -rf "$staging"
  mkdir -p "$staging"
  get_blob "$SANA_MODEL_CONTAINER" "${prefix}/SHA256SUMS" "$staging/SHA256SUMS"
  if [[ -n ${SANA_MODEL_SUMS_SHA256:-} ]]; then
    echo "${SANA_MODEL_SUMS_SHA256,,}  $staging/SHA256SUMS" | sha256sum --check --strict --quiet -
  fi
  if [[ -f $model_dir/SHA256SUMS && ! -L $model_dir ]] && cmp -s "$model_dir/SHA256SUMS" "$staging/SHA256SUMS"; then
    log "model ${prefix} is already installed"
    rm -rf "$staging"
    return 0
  fi
  sums=$(grep -c . "$staging/SHA256SUMS")
  log "model ${prefix}: ${sums} files"
  while read -r sum path; do
    path=${path#\*}
    [[ $sum =~ ^[0-9a-fA-F]{64}$ ]] || { log "bad line in SHA256SUMS: $sum $path"; return 1; }
    check_relative_path "$path"
    mkdir -p "$staging/$(dirname "$path")"
    get_blob "$SANA_MODEL_CONTAINER" "${prefix}/${path}" "$staging/$path"
  done <"$staging/SHA256SUMS"
  (cd "$staging" && sha256sum --check --strict --quiet SHA256SUMS)
  log "model ${prefix} verified"
  chown -R root:root "$staging"
  chmod -R u=rwX,go=rX "$staging"
  rm -rf "${model_dir}.old"
  if [[ -e $model_dir || -L $model_dir ]]; then mv -T "$model_dir" "${model_dir}.old"; fi
  mv -T "$staging" "$model_dir"
  rm -rf "${model_dir}.old"
}

fetch_build
fetch_model
