#!/usr/bin/env bash
# Install the Debian/Ubuntu packages the app, its tests and the firmware build need, if missing.
# Usage: tools/system-deps.sh [run|test]   (run: Qt runtime only; test: + Xvfb, firmware toolchain)
set -euo pipefail
what=${1:-test}
pkgs=(python3-venv libglib2.0-0 libgl1 libegl1 libfontconfig1 libxkbcommon0 libdbus-1-3 libpulse0
      libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
      libxcb-image0 libxcb-render-util0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1)
if [ "$what" = test ]; then
  pkgs+=(make gcc libc6-dev xvfb xauth gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
         poppler-utils postgresql)
fi
if ! command -v dpkg >/dev/null 2>&1; then
  echo "system-deps: not a Debian/Ubuntu system; install the Qt 6 runtime libraries yourself" >&2
  exit 0
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3-venv is only needed when the interpreter lacks ensurepip (Debian's split python)
if python3 -c "import ensurepip" >/dev/null 2>&1; then
  missing=("${missing[@]/python3-venv}")
fi
missing=($(printf '%s\n' "${missing[@]}" | sed '/^$/d'))
[ ${#missing[@]} -eq 0 ] && exit 0
echo "system-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
