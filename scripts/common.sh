# common.sh: what scripts/run, scripts/test and scripts/bench share — finding Swift, installing what is missing.
# Sourced, not run.

set -euo pipefail

GATEHOUSE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GATEHOUSE_ROOT

# Swift is preinstalled under /opt/swift on our machines; make sure it is on PATH.
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi

# release_build ARGS...: `swift build` of the release configuration, with the one set of flags
# that scripts/run, scripts/bench and scripts/soak all use (a build with other flags would
# rebuild everything). Measured side by side (two builds serving at once, same noise):
# - dynamic exclusivity checks off: with NIO they cost ~4% of the user CPU of a proxied request
#   and ~8% of a cache hit. The debug build that scripts/test runs keeps them, so an overlapping
#   access on any tested path still traps there.
# - cross-module optimisation: NIO's generic code specialised into ours, ~3% less user CPU on a
#   proxied request and ~5% on a hit; a clean build takes about as long.
# The libFuzzer targets of the Fuzz/ package: run by scripts/fuzz, compiled by scripts/test.
FUZZ_TARGETS=(FuzzConfigLoader FuzzRequestHead FuzzProxyPipeline FuzzCacheHeaders FuzzResponseParser)

RELEASE_BUILD_FLAGS=(-c release -Xswiftc -enforce-exclusivity=unchecked -Xswiftc -cross-module-optimization)
release_build() {
    swift build "${RELEASE_BUILD_FLAGS[@]}" "$@"
}

_apt_updated=0

# ensure_packages PKG...: apt-get installs the Debian packages that are not installed yet.
ensure_packages() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$pkg")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    echo "==> installing ${missing[*]}"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    if [ "$_apt_updated" -eq 0 ]; then
        $sudo apt-get update -qq
        _apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The packages every build needs: hiredis (through pkg-config) for the CHiredis target.
ensure_build_packages() {
    ensure_packages pkg-config libhiredis-dev
    if ! command -v swift >/dev/null 2>&1; then
        echo "error: swift is not installed (expected /opt/swift/usr/bin/swift)" >&2
        exit 1
    fi
}
