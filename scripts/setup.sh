#!/usr/bin/env bash
# Installs the Debian packages tfm needs, and only those that are missing.
# Idempotent: when everything is present it changes nothing and does not call
# apt-get at all. Runs apt-get directly as root, through sudo otherwise.
set -euo pipefail

PACKAGES=(
  cmake ninja-build ccache git python3 make pkg-config
  clang-22 libclang-rt-22-dev llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libomp-22-dev libhalide14-0-dev libgtest-dev libbenchmark-dev libpcre2-dev
  libxxhash-dev nlohmann-json3-dev
  # tfm-server: the HTTP server library (compiled, with its pkg-config file).
  libcpp-httplib-dev
  # tfm-lab draws its figures with gnuplot (PNG and SVG terminals).
  gnuplot-nox
  # The AArch64 runtime, cross-built with clang (TFM_AARCH64_RUNTIME), and
  # qemu-user to run its models in test/Cross: Debian's arm64 cross C and
  # C++ libraries and linker, and PCRE2 of the arm64 architecture (added
  # to dpkg below) for the tokenizer.
  qemu-user libc6-dev-arm64-cross libstdc++-12-dev-arm64-cross
  libgcc-12-dev-arm64-cross binutils-aarch64-linux-gnu libpcre2-dev:arm64
)

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for package in "${PACKAGES[@]}"; do
  is_installed "$package" || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  echo "setup: missing packages (${missing[*]}) and neither root nor sudo" >&2
  exit 1
fi

# libmlir-19-dev conflicts with libmlir-22-dev; never install both.
if is_installed libmlir-19-dev; then
  echo "setup: libmlir-19-dev is installed and conflicts with libmlir-22-dev; remove it first" >&2
  exit 1
fi

# Packages of the arm64 architecture (name:arm64) need it in dpkg's list.
if [[ " ${missing[*]}" == *":arm64"* ]] &&
   ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "setup: adding the arm64 architecture to dpkg (for libpcre2-dev:arm64)"
  "${as_root[@]}" dpkg --add-architecture arm64
fi

echo "setup: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
