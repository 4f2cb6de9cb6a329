#!/bin/sh
# Install Spotter from this checkout as its Debian package, on Raspberry Pi OS or
# Debian (bookworm or trixie): the package is built here, then apt installs it.
#
#   sudo systemd/install.sh              build the package, install or upgrade it
#   sudo systemd/install.sh --natural-voice
#                                        the same, then the optional natural voice
#                                        (hibari-tts; 64-bit only: amd64 or arm64)
#   sudo systemd/install.sh --uninstall  apt remove spotter: keeps the routines,
#                                        history and /etc/spotter
#   sudo systemd/install.sh --purge      apt purge spotter: data, config and user go too
#
# An update is "git pull" followed by the same command. Works without a running
# systemd too (a chroot or an image build): the service is then enabled, not started.
#
# SPOTTER_DRY_RUN=1  print what would be changed, change nothing
set -eu
umask 022

SRC=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${SPOTTER_ROOT:-}
DRY_RUN=${SPOTTER_DRY_RUN:-0}
DIST=$SRC/dist
# Where the package is built from: a throwaway venv, so nothing of the system's Python changes.
BUILD_VENV=${SPOTTER_BUILD_VENV:-/var/cache/spotter-build/venv}
# Beside the package, not in it: compiled for this machine's Python (see docs/install.md).
NATURAL=/usr/local/lib/spotter-natural-voice
# What the checkout's installer used to put in place before the package existed.
OLD_PREFIX=/opt/spotter
OLD_UNIT=/etc/systemd/system/spotter.service
OLD_LINK=/usr/local/bin/spotter
# Keep the owner's /etc/spotter/spotter.toml where both it and the package's changed.
KEEP_CONFIG="-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

run() {
    if [ "$DRY_RUN" = 1 ]; then
        printf 'would run: %s\n' "$*"
    else
        "$@"
    fi
}

systemd_running() { [ -d "$ROOT/run/systemd/system" ]; }

build_package() {
    if [ ! -x "$BUILD_VENV/bin/python" ]; then
        if ! dpkg-query -W -f='${Status}' python3-venv 2>/dev/null | grep -q "ok installed"; then
            run apt-get update -q
            run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv
        fi
        run python3 -m venv "$BUILD_VENV"
    fi
    say "building the package"
    if [ "$DRY_RUN" = 1 ]; then
        run "$BUILD_VENV/bin/python" "$SRC/packaging/build.py" --out "$DIST"
        DEB="$DIST/spotter_VERSION_all.deb"
    else
        DEB=$("$BUILD_VENV/bin/python" "$SRC/packaging/build.py" --out "$DIST" | tail -n 1)
    fi
}

# The venv install before the package: its unit in /etc would hide the package's.
remove_old_install() {
    [ -e "$ROOT$OLD_PREFIX/venv" ] || return 0
    say "replacing the earlier install in $OLD_PREFIX (data and /etc/spotter are kept)"
    run rm -rf "$ROOT$OLD_PREFIX"
    run rm -f "$ROOT$OLD_UNIT"
    if [ -L "$ROOT$OLD_LINK" ]; then
        run rm -f "$ROOT$OLD_LINK"
    fi
    if systemd_running; then
        run systemctl daemon-reload
    fi
}

# onnxruntime, which the natural voice runs on, is built for 64-bit systems only.
check_natural_voice_fits() {
    arch=$(dpkg --print-architecture)
    case "$arch" in
        amd64 | arm64) ;;
        *) die "the natural voice needs a 64-bit system (amd64 or arm64) and this one is $arch: on a Pi, install the 64-bit Raspberry Pi OS; the classic voice works here as it is" ;;
    esac
}

install_natural_voice() {
    say "installing the natural voice into $NATURAL"
    run "$BUILD_VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade \
        --target "$ROOT$NATURAL" --constraint "$SRC/systemd/constraints.txt" "hibari-tts"
    if systemd_running; then
        run systemctl try-restart spotter
    fi
}

action=install
natural=0
for arg in "$@"; do
    case "$arg" in
        --uninstall) [ "$action" = purge ] || action=remove ;;
        --purge) action=purge ;;
        --natural-voice) natural=1 ;;
        -h | --help)
            sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown option $arg (see --help)" ;;
    esac
done

if [ -z "$ROOT" ] && [ "$DRY_RUN" != 1 ] && [ "$(id -u)" -ne 0 ]; then
    die "run it as root: sudo $0 $*"
fi

case "$action" in
    install)
        if [ "$natural" = 1 ]; then
            check_natural_voice_fits
        fi
        build_package
        remove_old_install
        run apt-get update -q
        # shellcheck disable=SC2086 # the options are separate words
        run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $KEEP_CONFIG "$DEB"
        if [ "$natural" = 1 ]; then
            install_natural_voice
        fi
        ;;
    remove | purge)
        remove_old_install
        if dpkg-query -W -f='${Status}' spotter 2>/dev/null | grep -q "ok installed\|config-files"; then
            run env DEBIAN_FRONTEND=noninteractive apt-get "$action" -y -q spotter
        fi
        if [ "$action" = purge ] && [ -e "$ROOT$NATURAL" ]; then
            run rm -rf "$ROOT$NATURAL"
        fi
        ;;
esac
