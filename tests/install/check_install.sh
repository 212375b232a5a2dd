#!/usr/bin/env bash
# Installs kmtsim into a fresh prefix, builds the example outside the build
# tree twice (find_package(kmtsim), and pkg-config d3dkmt), and runs both
# against the installed kmtsimd.
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
libdir=$(sed -n 's/^libdir=${prefix}\///p' "$build_dir/driver-sim/d3dkmt.pc")
for f in include/d3dkmthk.h include/kmtsim/wintypes.h "$libdir/libd3dkmt.so" "$libdir/cmake/kmtsim/kmtsimConfig.cmake" \
         "$libdir/pkgconfig/d3dkmt.pc" bin/kmtsim bin/kmtsimd; do
  [ -e "$work/prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done

# With find_package(kmtsim) and nothing else.
cmake -S "$source_dir/examples/fence-share" -B "$work/example" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/example" >/dev/null
# With pkg-config.
cc -o "$work/fence_share_pc" "$source_dir/examples/fence-share/fence_share.c" \
   $(PKG_CONFIG_PATH="$work/prefix/$libdir/pkgconfig" pkg-config --cflags --libs d3dkmt)

export KMTSIM_SOCKET="$work/kmtsimd.sock"
SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 "$work/prefix/bin/kmtsimd" --socket "$KMTSIM_SOCKET" --quiet &
daemon_pid=$!
for _ in $(seq 1 200); do [ -S "$KMTSIM_SOCKET" ] && break; sleep 0.05; done
"$work/example/fence_share"
LD_LIBRARY_PATH="$work/prefix/$libdir" "$work/fence_share_pc"
