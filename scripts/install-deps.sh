#!/usr/bin/env bash
# Install the third-party programs Wren's tests talk to (see shared/INTEROP.md):
#
#   coturn       turnserver, turnutils_stunclient, turnutils_uclient, turnutils_peer
#   stun-client  stun (the classic RFC 3489 client)
#   nftables     nft (the NAT routers of wren-probe's network-namespace test)
#   chromium     chromium (headless: wren-dtls's browser handshake test)
#   firefox-esr  firefox-esr (headless, in a network namespace of the test: the same test)
#   npm          npm and node (wren-signal's tests/kvs_sdk.rs installs the KVS JavaScript SDK
#                from the npm registry with it)
#   redis-server redis-server, redis-cli (wren-signal's tests/cluster.rs starts its own on a
#                free loopback port; the Debian service is stopped and disabled if started)
#   pylibsrtp    libsrtp for Python (wren-srtp's tests/libsrtp_interop.rs), from pip, or
#                Debian's python3-pylibsrtp when pip cannot install
#   fonts-dejavu-core  DejaVuSans.ttf (wren-plot draws the text of the scenario tests' PNG
#                plots with it)
#   python3-venv `python3 -m venv` (wren-rtc's tests/aiortc.rs makes a virtual environment
#                under the target directory and installs aiortc from PyPI into it)
#   GStreamer    RTP depayloaders and decoders with Python bindings (wren-media's
#                tests/gstreamer.rs), and rtpav1depay, which Debian 12 does not package:
#                gst-plugins-rs's gst-plugin-rtp, built once by cargo from scripts/gst-av1
#                (its Cargo.lock pins the version) into
#                ${XDG_CACHE_HOME:-$HOME/.cache}/wren/gst-plugin-rtp, with the -dev
#                packages it needs
#
# Idempotent and quiet: a package is installed only when one of its programs is missing,
# `apt-get update` runs only when apt does not know a package yet (or an install from stale
# lists failed), and the script prints one line per package it installed, nothing otherwise.
#
# It never starts a service: while installing it keeps invoke-rc.d from starting daemons
# (a temporary /usr/sbin/policy-rc.d, unless one is already there), and afterwards it checks
# that no turnserver listens on coturn's port 3478, which tests and wren-relay use.
#
# Runs as root (or through passwordless sudo). Debian/Ubuntu only.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

say() { printf 'install-deps: %s\n' "$*"; }
die() {
    printf 'install-deps: error: %s\n' "$*" >&2
    exit 1
}

# package -> the programs that show it is installed
packages=(coturn stun-client nftables chromium firefox-esr npm redis-server ffmpeg fonts-dejavu-core)
declare -A programs=(
    [coturn]="turnserver turnutils_stunclient turnutils_uclient turnutils_peer"
    [stun-client]="stun"
    [nftables]="nft"
    [chromium]="chromium"
    [firefox-esr]="firefox-esr"
    [npm]="npm node"
    [redis-server]="redis-server redis-cli"
    [ffmpeg]="ffmpeg ffprobe"
    [fonts-dejavu-core]=""
)
# package -> files that show it is installed (for packages without programs)
declare -A files=(
    [fonts-dejavu-core]="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
)

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/bin/$1" ] || [ -x "/usr/sbin/$1" ]; }

missing=()
for pkg in "${packages[@]}"; do
    for prog in ${programs[$pkg]}; do
        if ! have "$prog"; then
            missing+=("$pkg")
            break
        fi
    done
    if [ -n "${files[$pkg]:-}" ] && [ ! -e "${files[$pkg]}" ]; then
        missing+=("$pkg")
    fi
done

# A turnserver listening on 3478 would take the port from the tests (and from wren-relay).
# Returns 0 when one does; prints what listens.
turnserver_on_3478() {
    have ss || return 1
    local found
    found=$(ss -H -lunpt 'sport = :3478' 2>/dev/null | grep -i turnserver || true)
    [ -n "$found" ] && printf '%s\n' "$found"
}

# pylibsrtp is a Python module, not a program: pip first (Debian's python3-pylibsrtp is
# older), apt as the fallback. Quiet unless it installs something.
install_pylibsrtp() {
    python3 -c 'import pylibsrtp' >/dev/null 2>&1 && return 0
    command -v python3 >/dev/null 2>&1 || die "python3 is missing (pylibsrtp needs it)"
    local log
    log=$(mktemp)
    if python3 -m pip install -q --disable-pip-version-check pylibsrtp >"$log" 2>&1 ||
        python3 -m pip install -q --disable-pip-version-check --break-system-packages pylibsrtp >"$log" 2>&1; then
        :
    elif command -v apt-get >/dev/null 2>&1; then
        apt-get install -y -qq --no-install-recommends python3-pylibsrtp >"$log" 2>&1 || {
            cat "$log" >&2
            rm -f "$log"
            die "could not install pylibsrtp (pip or apt-get install python3-pylibsrtp)"
        }
    fi
    rm -f "$log"
    python3 -c 'import pylibsrtp' >/dev/null 2>&1 || die "pylibsrtp is still missing"
    say "installed pylibsrtp $(python3 -c 'import pylibsrtp; print(pylibsrtp.__version__)')"
}
install_pylibsrtp

# `python3 -m venv` with pip in it (ensurepip): Debian splits it into python3-venv.
install_venv() {
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 && return 0
    command -v apt-get >/dev/null 2>&1 || die "python3 has no venv module and there is no apt-get"
    local log
    log=$(mktemp)
    apt-get install -y -qq --no-install-recommends python3-venv >"$log" 2>&1 || {
        apt-get update -qq >"$log" 2>&1 &&
            apt-get install -y -qq --no-install-recommends python3-venv >"$log" 2>&1
    } || {
        cat "$log" >&2
        rm -f "$log"
        die "could not install python3-venv"
    }
    rm -f "$log"
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || die "python3 still has no venv module"
    say "installed python3-venv"
}
install_venv

# GStreamer's RTP depayloaders and decoders, driven from Python (wren-media's
# tests/gstreamer.rs; Debian's /usr/bin/python3 has the bindings): plugins are libraries,
# so the check asks GStreamer itself.
gst_ready() {
    /usr/bin/python3 - >/dev/null 2>&1 <<'PY'
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
from gi.repository import Gst, GstApp
Gst.init(None)
for e in ("appsrc", "appsink", "rtpvp8depay", "rtpvp9depay", "rtph264depay", "rtpopusdepay",
          "vp8dec", "vp9dec", "avdec_h264", "opusdec"):
    assert Gst.ElementFactory.find(e), e
PY
}
install_gstreamer() {
    gst_ready && return 0
    command -v apt-get >/dev/null 2>&1 || die "GStreamer is missing and there is no apt-get"
    local log
    log=$(mktemp)
    apt-get install -y -qq --no-install-recommends python3-gi gir1.2-gstreamer-1.0 \
        gir1.2-gst-plugins-base-1.0 gstreamer1.0-tools gstreamer1.0-plugins-base \
        gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav >"$log" 2>&1 || {
        apt-get update -qq >"$log" 2>&1
        apt-get install -y -qq --no-install-recommends python3-gi gir1.2-gstreamer-1.0 \
            gir1.2-gst-plugins-base-1.0 gstreamer1.0-tools gstreamer1.0-plugins-base \
            gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav >"$log" 2>&1
    } || {
        cat "$log" >&2
        rm -f "$log"
        die "could not install GStreamer"
    }
    rm -f "$log"
    gst_ready || die "GStreamer's RTP depayloaders are still missing"
    say "installed GStreamer $(gst-inspect-1.0 --version | sed -n 2p)"
}
install_gstreamer

# rtpav1depay: gst-plugins-rs's gst-plugin-rtp (crates.io), built from scripts/gst-av1 into a
# cache outside the repository (tests/gstreamer.rs looks there). The plugin is copied alone
# into plugin/ (GST_PLUGIN_PATH scans a directory, and the target directory holds more), with
# the Cargo.lock it was built from; a GStreamer registry of its own (registry.bin) keeps the
# user's default one untouched. Skipped when that plugin is there, was built from the same
# Cargo.lock, and gst-inspect-1.0 finds rtpav1depay in it.
gst_av1_project="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/gst-av1"
gst_av1_cache="${XDG_CACHE_HOME:-$HOME/.cache}/wren/gst-plugin-rtp"
gst_av1_ready() {
    [ -f "$gst_av1_cache/plugin/libgstrsrtp.so" ] &&
        cmp -s "$gst_av1_project/Cargo.lock" "$gst_av1_cache/plugin/Cargo.lock" &&
        GST_PLUGIN_PATH="$gst_av1_cache/plugin" GST_REGISTRY="$gst_av1_cache/registry.bin" \
            gst-inspect-1.0 rtpav1depay >/dev/null 2>&1
}
install_gst_av1() {
    gst_av1_ready && return 0
    command -v cargo >/dev/null 2>&1 || die "cargo is missing (it builds rtpav1depay)"
    local log dev started
    log=$(mktemp)
    # What gstreamer-rs's -sys crates ask pkg-config for, and a C linker.
    dev=(pkg-config libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gcc)
    if ! pkg-config --exists gstreamer-1.0 gstreamer-base-1.0 gstreamer-rtp-1.0 2>/dev/null ||
        ! command -v cc >/dev/null 2>&1; then
        command -v apt-get >/dev/null 2>&1 || die "GStreamer's -dev packages are missing and there is no apt-get"
        apt-get install -y -qq --no-install-recommends "${dev[@]}" >"$log" 2>&1 || {
            apt-get update -qq >"$log" 2>&1 &&
                apt-get install -y -qq --no-install-recommends "${dev[@]}" >"$log" 2>&1
        } || {
            cat "$log" >&2
            rm -f "$log"
            die "could not install ${dev[*]}"
        }
    fi
    started=$SECONDS
    # cargo names the artifacts it built on stdout (JSON); a dependency's cdylib stays in
    # deps/ under a hashed name.
    local built
    built=$(CARGO_TARGET_DIR="$gst_av1_cache/target" cargo build --release --locked --quiet \
        --message-format=json-render-diagnostics \
        --manifest-path "$gst_av1_project/Cargo.toml" 2>"$log" | /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "gstrsrtp":
        print("\n".join(f for f in m["filenames"] if f.endswith(".so")))
') || {
        cat "$log" >&2
        rm -f "$log"
        die "could not build gst-plugin-rtp (rtpav1depay) from $gst_av1_project"
    }
    rm -f "$log"
    [ -f "$built" ] || die "cargo built no libgstrsrtp .so from $gst_av1_project"
    # GStreamer finds a plugin's entry point from its file name: libgstrsrtp.so.
    mkdir -p "$gst_av1_cache/plugin"
    cp "$built" "$gst_av1_cache/plugin/libgstrsrtp.so"
    cp "$gst_av1_project/Cargo.lock" "$gst_av1_cache/plugin/Cargo.lock"
    rm -f "$gst_av1_cache/registry.bin"
    gst_av1_ready || die "gst-inspect-1.0 finds no rtpav1depay in $gst_av1_cache/plugin"
    local version
    version=$(sed -n '/^name = "gst-plugin-rtp"$/{n;s/^version = "\(.*\)"$/\1/p}' "$gst_av1_project/Cargo.lock")
    say "built rtpav1depay (gst-plugin-rtp $version) in $((SECONDS - started)) s into $gst_av1_cache/plugin"
}
install_gst_av1

if [ "${#missing[@]}" -eq 0 ]; then
    if listeners=$(turnserver_on_3478); then
        say "warning: a turnserver already listens on port 3478 (not started by this script):" >&2
        printf '  %s\n' "$listeners" >&2
    fi
    exit 0
fi

command -v apt-get >/dev/null 2>&1 ||
    die "missing ${missing[*]} and no apt-get here; install them by hand"

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo -n env DEBIAN_FRONTEND=noninteractive)
    else
        die "missing ${missing[*]}; run as root: apt-get install -y ${missing[*]}"
    fi
fi

log=$(mktemp)
created_policy=""
cleanup() {
    rm -f "$log"
    if [ -n "$created_policy" ]; then
        "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
    fi
}
trap cleanup EXIT

# Keep the packages' maintainer scripts from starting daemons (exit 101: "action forbidden").
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# temporary, from wren scripts/install-deps.sh\nexit 101\n' |
        "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
fi

apt_knows() { apt-cache show "$1" >/dev/null 2>&1; }

apt_update() {
    "${sudo[@]}" apt-get update -qq >"$log" 2>&1 || {
        cat "$log" >&2
        die "apt-get update failed"
    }
}

install_pkg() {
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$1" >"$log" 2>&1
}

updated=""
for pkg in "${missing[@]}"; do
    if ! apt_knows "$pkg" && [ -z "$updated" ]; then
        apt_update
        updated=1
    fi
done

for pkg in "${missing[@]}"; do
    if ! install_pkg "$pkg"; then
        # Stale package lists give 404s; refresh once and try again.
        if [ -z "$updated" ]; then
            apt_update
            updated=1
        fi
        install_pkg "$pkg" || {
            cat "$log" >&2
            die "apt-get install $pkg failed"
        }
    fi
    version=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || echo '?')
    say "installed $pkg $version"
    for prog in ${programs[$pkg]}; do
        have "$prog" || die "$pkg is installed but $prog is still missing"
    done
    if [ -n "${files[$pkg]:-}" ] && [ ! -e "${files[$pkg]}" ]; then
        die "$pkg is installed but ${files[$pkg]} is still missing"
    fi
done

# Debian's coturn runs a daemon only with TURNSERVER_ENABLED=1 in /etc/default/coturn (it
# ships commented out). Say so if it is enabled: the next boot would start it on 3478.
if grep -Eq '^[[:space:]]*TURNSERVER_ENABLED=1' /etc/default/coturn 2>/dev/null; then
    say "warning: /etc/default/coturn sets TURNSERVER_ENABLED=1; a coturn daemon may start on port 3478" >&2
fi

# Debian's redis-server package enables a service on port 6379; tests start their own, so a
# service the install started (a systemd machine ignoring policy-rc.d) is stopped.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 &&
    systemctl is-active --quiet redis-server 2>/dev/null; then
    "${sudo[@]}" systemctl stop redis-server >/dev/null 2>&1 || true
    "${sudo[@]}" systemctl disable redis-server >/dev/null 2>&1 || true
    say "stopped the redis-server service the package started"
fi

# Nothing may listen on 3478 now. If the install started a turnserver after all (a systemd
# machine ignoring policy-rc.d), stop that service; never start anything.
if turnserver_on_3478 >/dev/null; then
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        "${sudo[@]}" systemctl stop coturn >/dev/null 2>&1 || true
        "${sudo[@]}" systemctl disable coturn >/dev/null 2>&1 || true
    elif [ -x /etc/init.d/coturn ]; then
        "${sudo[@]}" /etc/init.d/coturn stop >/dev/null 2>&1 || true
    fi
    sleep 1
    if listeners=$(turnserver_on_3478); then
        printf '  %s\n' "$listeners" >&2
        die "a turnserver listens on port 3478 after installing coturn; stop it"
    fi
    say "stopped the coturn service the package started"
fi
