# Shared by scripts/run and scripts/test: install what Redline needs on Debian/Ubuntu, once.
# shellcheck shell=bash

# System packages to build the app (Tauri 2 on WebKitGTK 4.1).
BUILD_PACKAGES=(libwebkit2gtk-4.1-dev libdbus-1-dev build-essential pkg-config)
# System packages for the tests: a virtual display, WebKit's WebDriver, and a session bus with
# a Secret Service (gnome-keyring) for the real OS keychain.
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver dbus dbus-x11 gnome-keyring age expect python3-aiosmtpd python3-venv curl ca-certificates)
TAURI_DRIVER_VERSION=2.1.0
# Tauri's CLI, for its bundler (scripts/package): Tauri's npm release of it (the JavaScript
# entry point and the prebuilt x86-64 glibc module), checked against their SHA-256.
TAURI_CLI_VERSION=2.12.4
TAURI_CLI_JS_SHA256=08613005b02f312eb7d3563e32c95b7eae3e5481e2169f5222f080a26fbb7447
TAURI_CLI_NATIVE_SHA256=dab2f2b42875e612f24ee0c4c6cae553900b8722631e0306613e8e783f959321
# axe-core, the accessibility engine the end-to-end tests run in the web view: the npm
# registry's tarball of this release, checked against its SHA-256.
AXE_VERSION=4.14.1
AXE_SHA256=e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
# pyarrow (the Parquet reader of `datasets.load_dataset`) and DuckDB, to read the Parquet
# exports with engines that are not Redline's.
PYARROW_VERSION=22.0.0
DUCKDB_VERSION=1.4.2

# Each step's banner carries the time since the run began (REDLINE_T0, set once per run); when
# REDLINE_TIMINGS names a file, the banner is also appended there (scripts/test prints the
# steps' durations from it at the end, so a slow CI run says where its time went).
: "${REDLINE_T0:=$(date +%s)}"
export REDLINE_T0
say() {
  local t=$(($(date +%s) - REDLINE_T0))
  printf '\n==> [%d:%02d] %s\n' $((t / 60)) $((t % 60)) "$*" >&2
  if [ -n "${REDLINE_TIMINGS:-}" ]; then
    printf '%d\t%s\t%s\n' "$t" "$(free_disk)" "$*" >>"$REDLINE_TIMINGS"
  fi
}

# The free space where the build writes (target/), e.g. "41G": a linker killed by SIGBUS
# ("ld terminated with signal 7") is most often a full disk, and the timings table says so.
free_disk() {
  df -Ph "${CARGO_TARGET_DIR:-.}" 2>/dev/null | awk 'NR == 2 { print $4 }'
}

# Print the steps recorded in $REDLINE_TIMINGS with how long each took (until the next one,
# the last until now).
print_timings() {
  [ -s "${REDLINE_TIMINGS:-}" ] || return 0
  local now=$(($(date +%s) - REDLINE_T0))
  printf '\n==> where the time went (%d:%02d in all; disk free at each step'"'"'s start, now %s)\n' \
    $((now / 60)) $((now % 60)) "$(free_disk)" >&2
  awk -F'\t' -v now="$now" '
    { start[NR] = $1; free[NR] = $2; step[NR] = $3 }
    END {
      for (i = 1; i <= NR; i++) {
        d = (i < NR ? start[i + 1] : now) - start[i]
        printf "  %3d:%02d  %6s  %s\n", d / 60, d % 60, free[i], substr(step[i], 1, 80)
      }
    }' "$REDLINE_TIMINGS" >&2
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install the Debian packages given that are not installed yet.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    echo "Redline needs these packages (names as on Debian/Ubuntu): ${missing[*]}" >&2
    echo "Install their equivalents with your package manager, then run this again." >&2
    exit 1
  fi
  say "installing system packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_rust_components() {
  for c in rustfmt clippy; do
    # (the list is read whole: `grep -q` would close the pipe early, and under pipefail the
    # writer's SIGPIPE counts as a failure)
    grep -q "^$c" <<<"$(rustup component list --installed 2>/dev/null)" || rustup component add "$c"
  done
}

ensure_tauri_driver() {
  if ! command -v tauri-driver >/dev/null && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
    say "installing tauri-driver $TAURI_DRIVER_VERSION"
    cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked
  fi
  export PATH="$HOME/.cargo/bin:$PATH"
}

# Where tauri-cli is installed (under target/, beside the builds).
tauri_cli_root() { echo "$PWD/target/tools/tauri-cli-$TAURI_CLI_VERSION"; }

# Install tauri-cli once (into target/, beside the builds) and export TAURI_CLI: Tauri's own
# npm release (`npm install @tauri-apps/cli` without npm): the JavaScript entry point and the
# prebuilt native module for x86-64 glibc Linux, both checked against their SHA-256, run by
# Node.js. Seconds, where `cargo install tauri-cli` is a 9-minute build on two cores.
ensure_tauri_cli() {
  local root tarball
  root=$(tauri_cli_root)
  if [ ! -x "$root/bin/cargo-tauri" ]; then
    ensure_packages nodejs
    [ "$(uname -m)" = x86_64 ] || {
      echo "scripts/package: Tauri's prebuilt CLI is fetched for x86-64 only; on $(uname -m)," \
        "run: cargo install tauri-cli --version $TAURI_CLI_VERSION --locked --root $root" >&2
      exit 1
    }
    say "fetching tauri-cli $TAURI_CLI_VERSION (Tauri's npm release) into target/tools/"
    rm -rf "$root"
    mkdir -p "$root/bin" "$root/native"
    tarball="$root/cli.tgz"
    curl -sSfL --retry 3 -o "$tarball" \
      "https://registry.npmjs.org/@tauri-apps/cli/-/cli-$TAURI_CLI_VERSION.tgz"
    echo "$TAURI_CLI_JS_SHA256  $tarball" | sha256sum -c --quiet -
    tar -xzf "$tarball" -C "$root"
    curl -sSfL --retry 3 -o "$tarball" \
      "https://registry.npmjs.org/@tauri-apps/cli-linux-x64-gnu/-/cli-linux-x64-gnu-$TAURI_CLI_VERSION.tgz"
    echo "$TAURI_CLI_NATIVE_SHA256  $tarball" | sha256sum -c --quiet -
    tar -xzf "$tarball" -C "$root/native"
    mv "$root/native/package/cli.linux-x64-gnu.node" "$root/package/"
    rm -rf "$tarball" "$root/native"
    printf '#!/bin/sh\nexec node "%s/package/tauri.js" "$@"\n' "$root" >"$root/bin/cargo-tauri"
    chmod +x "$root/bin/cargo-tauri"
  fi
  export TAURI_CLI="$root/bin/cargo-tauri"
}

# Fetch axe-core once (into target/, beside the builds) and export REDLINE_AXE_JS.
ensure_axe() {
  local dir="$PWD/target/e2e-tools/axe-core-$AXE_VERSION"
  if [ ! -f "$dir/axe.min.js" ]; then
    say "fetching axe-core $AXE_VERSION from the npm registry"
    mkdir -p "$dir"
    curl -sSfL --retry 3 -o "$dir/axe.tgz" "https://registry.npmjs.org/axe-core/-/axe-core-$AXE_VERSION.tgz"
    echo "$AXE_SHA256  $dir/axe.tgz" | sha256sum -c --quiet -
    tar -xzf "$dir/axe.tgz" -C "$dir" --strip-components=1 package/axe.min.js
    rm "$dir/axe.tgz"
  fi
  export REDLINE_AXE_JS="$dir/axe.min.js"
}

# A Python with pyarrow and duckdb in target/py (made once, from PyPI); exports
# REDLINE_PYTHON.
ensure_python_readers() {
  local venv="$PWD/target/py"
  if ! "$venv/bin/python" -c "import pyarrow, duckdb" 2>/dev/null; then
    say "making a Python venv with pyarrow $PYARROW_VERSION and duckdb $DUCKDB_VERSION (from PyPI)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "pyarrow==$PYARROW_VERSION" "duckdb==$DUCKDB_VERSION"
  fi
  export REDLINE_PYTHON="$venv/bin/python"
}

# Print the first free X display number from 99 up.
free_display() {
  local n
  for n in $(seq 99 140); do
    if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then
      echo "$n"
      return 0
    fi
  done
  echo "no free X display between :99 and :140" >&2
  return 1
}

# Print the first free TCP port on loopback from $1 up.
free_port() {
  local p
  for p in $(seq "$1" $(($1 + 100))); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}
