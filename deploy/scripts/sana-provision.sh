#!/usr/bin/env bash
# First-boot provisioning of a Sana silo VM (run by cloud-init as root; safe to run again).
#  1. the service user `sana` and its directories
#  2. the NVIDIA driver: Ubuntu's signed, precompiled open kernel modules for the Azure kernel (no DKMS build, works
#     with Secure Boot), plus nvidia-smi, which the silo uses to discover GPUs
#  3. CUDA 13 runtime libraries and cuDNN 9 (NVIDIA's Ubuntu 24.04 repository), the .NET 10 ASP.NET Core runtime
#  4. the silo build, via sana-fetch.sh (managed identity, checksum); the silo downloads and checks the model itself
#  5. sana-silo.service and sana-terminate-watch.service, enabled and started (or after a reboot, when the running
#     kernel has no matching driver modules yet)
# Settings come from /etc/sana/deploy.env, written by cloud-init from the deployment parameters.
set -euo pipefail

# shellcheck source=/dev/null
source /etc/sana/deploy.env
branch="${SANA_NVIDIA_DRIVER_BRANCH:?SANA_NVIDIA_DRIVER_BRANCH is not set}"
cuda_series="13-0"
export DEBIAN_FRONTEND=noninteractive

log() { echo "sana-provision: $*"; }

apt_install() {
  # The package lists can be locked briefly by unattended-upgrades on a fresh VM; wait instead of failing.
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$@"
}

log "service user and directories"
if ! id -u sana >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/sana --shell /usr/sbin/nologin --user-group sana
fi
install -d -o sana -g sana -m 0750 /var/lib/sana
install -d -o root -g root -m 0755 /opt/sana /opt/sana/releases /opt/sana/bin

log "NVIDIA driver branch ${branch} (open kernel modules)"
apt-get -o DPkg::Lock::Timeout=600 update
apt_install "linux-modules-nvidia-${branch}-server-open-azure" \
  "nvidia-headless-no-dkms-${branch}-server-open" \
  "nvidia-utils-${branch}-server"
need_reboot=0
# The -azure package follows the newest Azure kernel; the running one may be older until the VM reboots.
if ! apt_install "linux-modules-nvidia-${branch}-server-open-$(uname -r)"; then
  log "no driver modules for the running kernel $(uname -r); a reboot into the new kernel loads them"
  need_reboot=1
fi
if [[ $need_reboot -eq 0 ]] && ! modprobe nvidia; then
  need_reboot=1
fi

log "CUDA ${cuda_series} libraries and cuDNN 9"
if [[ ! -f /usr/share/keyrings/cuda-archive-keyring.gpg ]]; then
  keyring=$(mktemp --suffix=.deb)
  curl -fsSL --retry 5 -o "$keyring" https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64/cuda-keyring_1.1-1_all.deb
  dpkg -i "$keyring"
  rm -f "$keyring"
  apt-get -o DPkg::Lock::Timeout=600 update
fi
# Only the libraries ONNX Runtime's CUDA provider loads; no toolkit, no driver from this repository.
apt_install "cuda-cudart-${cuda_series}" "libcublas-${cuda_series}" "libcurand-${cuda_series}" \
  "libcufft-${cuda_series}" libcudnn9-cuda-13
echo "/usr/local/cuda-${cuda_series/-/.}/targets/x86_64-linux/lib" > /etc/ld.so.conf.d/sana-cuda.conf
ldconfig

log ".NET 10 ASP.NET Core runtime"
apt_install aspnetcore-runtime-10.0
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
grep -q '^DOTNET_ROOT=' /etc/sana/silo.env || echo "DOTNET_ROOT=${dotnet_root}" >> /etc/sana/silo.env

log "silo build"
/opt/sana/bin/sana-fetch.sh

systemctl daemon-reload
systemctl enable sana-silo.service sana-terminate-watch.service
systemctl enable nvidia-persistenced.service 2>/dev/null || true
if [[ $need_reboot -eq 1 ]]; then
  log "rebooting to load the NVIDIA driver; sana-silo starts after the reboot"
  systemctl reboot
  exit 0
fi
systemctl start nvidia-persistenced.service 2>/dev/null || true
nvidia-smi -L || log "warning: nvidia-smi lists no GPU; the silo starts without GPU workers"
systemctl restart sana-terminate-watch.service
systemctl restart sana-silo.service
log "done: $(systemctl is-active sana-silo.service)"
