#!/bin/sh
# Install Spotter as a service that starts at boot, on Raspberry Pi OS (Bookworm)
# or Debian, from this checkout:
#
#   sudo systemd/install.sh              install or update, then enable and start it
#   sudo systemd/install.sh --natural-voice
#                                        the same, with the optional natural voice
#                                        (hibari-tts; needs 64-bit Raspberry Pi OS)
#   sudo systemd/install.sh --uninstall  remove the service and the program; keep the
#                                        routines, history and /etc/spotter
#   sudo systemd/install.sh --purge      remove everything, data and user included
#
# Running it again changes only what differs from this checkout: an update is
# "git pull" followed by the same command.
#
# SPOTTER_ROOT=DIR   work below DIR instead of / (for testing the script)
# SPOTTER_DRY_RUN=1  print what would be changed, change nothing
set -eu
umask 022 # the venv and the unit must be readable by the service's user

SRC=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${SPOTTER_ROOT:-}
DRY_RUN=${SPOTTER_DRY_RUN:-0}

NAME=spotter
PREFIX=/opt/spotter
VENV=$PREFIX/venv
STAMP=$PREFIX/installed-source.sha256
DOC=$PREFIX/docs/raspberry-pi.md
CONF=/etc/spotter/spotter.toml
UNIT=/etc/systemd/system/spotter.service
STATE=/var/lib/spotter
LINK=/usr/local/bin/spotter
# Avahi announces what this directory describes and notices changes by itself.
AVAHI_SERVICE=/etc/avahi/services/spotter.service
GROUPS="gpio audio input"
# What Spotter needs from Debian: Python with venv, the speech engine, ALSA's
# player and its Python module (the sound output Spotter keeps open); PyYAML and
# alsaaudio from Debian spare slow builds on 32-bit Pi OS.
DEBS="python3 python3-venv python3-yaml python3-alsaaudio python3-evdev espeak-ng libespeak-ng1 alsa-utils"
# lgpio drives the pins on every Pi, the Pi 5 included.
PI_DEBS="python3-lgpio"
# Extras pip installs with Spotter ("[natural-voice]" with --natural-voice).
EXTRAS=
# What pip builds Spotter from, and the exact versions of what it pulls in.
SOURCES="pyproject.toml README.md LICENSE device routines web_config"
PINS=systemd/constraints.txt

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

# Every change goes through run, so a dry run can show it instead.
run() {
    if [ "$DRY_RUN" = 1 ]; then
        printf 'would run: %s\n' "$*"
    else
        "$@"
    fi
}

# Copy $1 to $ROOT$2 with mode $3 unless it is already there unchanged; says whether it copied.
place() {
    if cmp -s "$1" "$ROOT$2"; then
        return 1
    fi
    run mkdir -p "$ROOT$(dirname "$2")"
    run install -m "$3" "$1" "$ROOT$2"
    return 0
}

is_pi() {
    [ -r "$ROOT/proc/device-tree/model" ] && tr -d '\0' <"$ROOT/proc/device-tree/model" | grep -q "Raspberry Pi"
}

missing_debs() {
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || printf '%s ' "$pkg"
    done
}

# A fingerprint of the files pip installs Spotter from: a new one means reinstall.
source_fingerprint() {
    (
        cd "$SRC"
        for path in $SOURCES $PINS; do
            if [ -e "$path" ]; then
                find "$path" -type f ! -path '*/__pycache__/*' ! -name '*.pyc'
            fi
        done | LC_ALL=C sort | while IFS= read -r file; do
            sha256sum "$file"
        done | sha256sum | cut -d' ' -f1
    )
}

install_packages() {
    wanted=$DEBS
    if is_pi; then
        wanted="$wanted $PI_DEBS"
    else
        say "not a Raspberry Pi: no GPIO library installed (gpio.pin_factory = \"mock\" runs without one)"
    fi
    # shellcheck disable=SC2086 # one word per package
    missing=$(missing_debs $wanted)
    if [ -n "$missing" ]; then
        say "installing Debian packages: $missing"
        run apt-get update -q
        # shellcheck disable=SC2086
        run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
    fi
}

create_user() {
    for group in $GROUPS; do
        getent group "$group" >/dev/null || run groupadd --system "$group"
    done
    if ! getent passwd "$NAME" >/dev/null; then
        say "creating the system user $NAME"
        run useradd --system --user-group --groups "$(echo "$GROUPS" | tr ' ' ,)" \
            --home-dir "$STATE" --no-create-home --shell /usr/sbin/nologin \
            --comment "Spotter workout companion" "$NAME"
        return
    fi
    for group in $GROUPS; do
        id -nG "$NAME" | tr ' ' '\n' | grep -qx "$group" || run usermod --append --groups "$group" "$NAME"
    done
}

# Sets CHANGED when Spotter was (re)installed into the venv.
install_program() {
    if [ ! -x "$ROOT$VENV/bin/python" ]; then
        say "creating the virtual environment $VENV"
        # System site-packages: python3-lgpio and python3-yaml come from Debian.
        run python3 -m venv --system-site-packages "$ROOT$VENV"
    fi
    # The extras are part of what was installed: asking for another set reinstalls.
    fingerprint="$(source_fingerprint)$EXTRAS"
    if [ -x "$ROOT$VENV/bin/spotter" ] && [ "$(cat "$ROOT$STAMP" 2>/dev/null)" = "$fingerprint" ]; then
        return
    fi
    say "installing Spotter into $VENV"
    # pip builds in the source tree; a copy keeps root-owned build files out of the checkout.
    build=$(mktemp -d)
    for path in $SOURCES; do
        if [ -e "$SRC/$path" ]; then
            cp -R "$SRC/$path" "$build/"
        fi
    done
    run "$ROOT$VENV/bin/pip" install --quiet --disable-pip-version-check \
        --constraint "$SRC/$PINS" "$build$EXTRAS"
    rm -rf "$build"
    if [ "$DRY_RUN" != 1 ]; then
        printf '%s\n' "$fingerprint" >"$ROOT$STAMP"
    fi
    CHANGED=1
}

# The page announced as _http._tcp with the name and port from the config, so that
# phones and browsers list it by name. Avahi rereads the file itself: nothing restarts.
install_announcement() {
    [ -x "$ROOT$VENV/bin/spotter" ] || return 0 # a dry run installed nothing to ask
    announcement=$(mktemp)
    if "$ROOT$VENV/bin/spotter" avahi-service --config "$ROOT$CONF" >"$announcement"; then
        if place "$announcement" "$AVAHI_SERVICE" 644; then
            say "announcing the page on the network: $AVAHI_SERVICE"
        fi
    else
        say "warning: fix $CONF, or the page is not announced on the network"
    fi
    rm -f "$announcement"
}

# Sets CHANGED when the unit changed.
install_files() {
    if [ "$(readlink "$ROOT$LINK" 2>/dev/null || true)" != "$VENV/bin/spotter" ]; then
        run mkdir -p "$ROOT$(dirname "$LINK")"
        run ln -sfn "$VENV/bin/spotter" "$ROOT$LINK"
    fi
    place "$SRC/docs/raspberry-pi.md" "$DOC" 644 || true
    if [ ! -e "$ROOT$CONF" ]; then
        say "writing $CONF"
        # Commands run by hand read the file: point them at the service's data.
        config=$(mktemp)
        sed 's|^# data_dir = .*|data_dir = "/var/lib/spotter"|' "$SRC/systemd/spotter.toml" >"$config"
        place "$config" "$CONF" 644 || true
        rm -f "$config"
    elif [ -x "$ROOT$VENV/bin/spotter" ]; then
        "$ROOT$VENV/bin/spotter" config check "$ROOT$CONF" >&2 ||
            say "warning: fix $CONF, or Spotter will not start"
    fi
    install_announcement
    if place "$SRC/systemd/spotter.service" "$UNIT" 644; then
        run systemctl daemon-reload
        CHANGED=1
    fi
}

start_service() {
    systemctl is-enabled --quiet "$NAME" 2>/dev/null || run systemctl enable "$NAME"
    if systemctl is-active --quiet "$NAME" 2>/dev/null; then
        if [ -n "$CHANGED" ]; then
            run systemctl restart "$NAME"
        fi
    else
        run systemctl start "$NAME" || die "Spotter did not start: see 'journalctl -u $NAME -e' and 'sudo -u $NAME spotter doctor'"
    fi
}

do_install() {
    install_packages
    create_user
    CHANGED=
    install_program
    install_files
    start_service
    say "Spotter is installed and running. Logs: journalctl -u $NAME -f"
}

do_uninstall() {
    if [ -e "$ROOT$UNIT" ]; then
        say "stopping and removing the service"
        run systemctl disable --now "$NAME"
        run rm -f "$ROOT$UNIT"
        run systemctl daemon-reload
    fi
    if [ -e "$ROOT$PREFIX" ]; then
        run rm -rf "$ROOT$PREFIX"
    fi
    if [ -L "$ROOT$LINK" ]; then
        run rm -f "$ROOT$LINK"
    fi
    if [ -e "$ROOT$AVAHI_SERVICE" ]; then
        run rm -f "$ROOT$AVAHI_SERVICE"
    fi
    if [ "$1" = purge ]; then
        say "removing the data, the config and the user $NAME"
        run rm -rf "$ROOT$STATE" "$ROOT$(dirname "$CONF")"
        if getent passwd "$NAME" >/dev/null; then
            run userdel "$NAME"
        fi
    else
        say "kept $STATE (routines, history) and $CONF; --purge removes them"
    fi
}

action=install
for arg in "$@"; do
    case "$arg" in
        --uninstall) [ "$action" = purge ] || action=uninstall ;;
        --purge) action=purge ;;
        --natural-voice) EXTRAS="[natural-voice]" ;;
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
    install) do_install ;;
    uninstall) do_uninstall keep ;;
    purge) do_uninstall purge ;;
esac
