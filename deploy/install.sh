#!/bin/bash
# Install the balance station as a systemd service on a Raspberry Pi (README: "Installing a
# station: from a blank SD card to a calibrated, running station"). Idempotent: a second run
# changes nothing; the config is never overwritten; a version already installed is changed only
# by deploy/upgrade.sh.
#
#   sudo deploy/install.sh [--source DIR | --wheel FILE] [--no-apt] [--no-start]
#
#   --source DIR      install from this source tree (default: the one holding this script)
#   --wheel FILE      install this wheel instead
#   --no-apt          do not install Debian packages (python3-venv, i2c-tools, sqlite3, and
#                     python3-lgpio on a Pi)
#   --no-start        enable the units but start nothing
#   --root DIR        install into DIR as if it were / (tests, staging): apt and starting are
#                     skipped, the account is made with systemd-sysusers --root and the units
#                     enabled with systemctl --root, which both work on a directory
#   --deps-from SITE  take the dependencies from an existing site-packages directory and use
#                     no package index (tests, offline staging)
#
# What it sets up: I2C on at 400 kHz (/boot/firmware/config.txt) and i2c-dev loaded at boot;
# the system user balance-station in the i2c and gpio groups; /opt/balance-station/venvs/<time>
# with /opt/balance-station/venv pointing at it; /usr/local/bin/balance-station; the config
# /etc/balance-station/station.toml (from deploy/station.example.toml; on a Pi with
# hardware = "pi"); the data directory /var/lib/balance-station; the station's two services
# (balance-station: the core; balance-station-panel: the panel) and the nightly backup timer,
# enabled. A new station on a Pi is not started: its pins, platform and
# calibration come first (README); a simulated one, or one already configured, is.
set -euo pipefail
# shellcheck source=deploy/layout.sh
. "$(dirname "$0")/layout.sh"

ROOT="" SOURCE=$REPO WHEEL="" DEPS_FROM="" APT=1 START=1
while [ $# -gt 0 ]; do
    case $1 in
        --root) ROOT=$(realpath -m "$2"); shift 2 ;;
        --source) SOURCE=$(realpath "$2"); shift 2 ;;
        --wheel) WHEEL=$(realpath "$2"); shift 2 ;;
        --deps-from) DEPS_FROM=$(realpath "$2"); shift 2 ;;
        --no-apt) APT=0; shift ;;
        --no-start) START=0; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
set_layout
[ -n "$ROOT" ] || [ "$(id -u)" = 0 ] || die "run as root: sudo $0 $*"

on_pi() { [ -z "$ROOT" ] && grep -qa "Raspberry Pi" /proc/device-tree/model 2>/dev/null; }

# 1. Debian packages
packages=(python3-venv i2c-tools sqlite3)
on_pi && packages+=(python3-lgpio)
if [ -n "$ROOT" ]; then
    skipped "apt-get install ${packages[*]}"
elif [ "$APT" = 1 ]; then
    missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
fi

# 2. I2C on at 400 kHz, i2c-dev at boot
boot_config=""
for f in "$ROOT/boot/firmware/config.txt" "$ROOT/boot/config.txt"; do
    if [ -f "$f" ]; then boot_config=$f; break; fi
done
if [ -z "$boot_config" ]; then
    say "no /boot/firmware/config.txt (not a Raspberry Pi?): I2C settings left as they are"
else
    lines=()
    grep -Eq '^[[:space:]]*dtparam=([^#]*,)?i2c_arm=on' "$boot_config" ||
        lines+=("dtparam=i2c_arm=on")
    grep -Eq '^[[:space:]]*dtparam=([^#]*,)?i2c_arm_baudrate=400000' "$boot_config" ||
        lines+=("dtparam=i2c_arm_baudrate=400000")
    if [ ${#lines[@]} -gt 0 ]; then
        # [all] ends any model filter ([cm4], [pi5]...) the file may end in
        {
            printf '\n[all]\n# balance-station: I2C on, at 400 kHz (deploy/install.sh)\n'
            printf '%s\n' "${lines[@]}"
        } >>"$boot_config"
        say "I2C enabled at 400 kHz in $boot_config: reboot for it to take effect"
    fi
fi
mkdir -p "$(dirname "$MODULES")"
if [ "$(cat "$MODULES" 2>/dev/null)" != "i2c-dev" ]; then
    printf 'i2c-dev\n' >"$MODULES"
    if [ -z "$ROOT" ]; then modprobe i2c-dev || say "could not load i2c-dev now: it loads at boot"; fi
fi

# 3. The service account: systemd-sysusers (works on --root too)
mkdir -p "$(dirname "$SYSUSERS")"
cat >"$SYSUSERS.new" <<'EOF'
# The balance station's service account (deploy/install.sh), in the I2C and GPIO groups.
u balance-station - "Balance station" /var/lib/balance-station /usr/sbin/nologin
m balance-station i2c
m balance-station gpio
EOF
if cmp -s "$SYSUSERS.new" "$SYSUSERS"; then rm "$SYSUSERS.new"; else mv "$SYSUSERS.new" "$SYSUSERS"; fi
if [ -n "$ROOT" ]; then
    systemd-sysusers --root="$ROOT" >/dev/null
else
    systemd-sysusers "$SYSUSERS"
fi

# 4. The package in its own venv, and the technicians' command
if [ -x "$VENV/bin/balance-station" ]; then
    say "version $(venv_version "$VENV") already installed in $VENV (deploy/upgrade.sh changes it)"
else
    mkdir -p "$VENVS"
    dir=$(new_venv_dir)
    say "installing into $dir"
    make_venv "$dir"
    point_link "$VENV" "$(basename "$dir")"
    say "installed version $(venv_version "$VENV")"
fi
cmp -s "$REPO/README.md" "$PREFIX/README.md" || install -m 0644 "$REPO/README.md" "$PREFIX/README.md"
mkdir -p "$(dirname "$WRAPPER")"
cat >"$WRAPPER.new" <<EOF
#!/bin/sh
# balance-station for technicians (deploy/install.sh). Under sudo it runs as the station's own
# user, with its I2C and GPIO groups, so files in /var/lib/balance-station keep their owner (a
# database file written by root would lock the service out).
export LG_WD="\${LG_WD:-$DATA_DIR}"  # where lgpio may create its pipes
if [ "\$(id -u)" = 0 ]; then
    exec runuser -u $SERVICE_USER -- $VENV/bin/balance-station "\$@"
fi
exec $VENV/bin/balance-station "\$@"
EOF
chmod 0755 "$WRAPPER.new"
if cmp -s "$WRAPPER.new" "$WRAPPER"; then rm "$WRAPPER.new"; else mv "$WRAPPER.new" "$WRAPPER"; fi

# 5. Data directory and config (an existing config is never touched)
install -d -m 0750 "$DATA_DIR"
[ -n "$ROOT" ] || chown "$SERVICE_USER:$SERVICE_USER" "$DATA_DIR"
new_config=0
if [ -e "$CONFIG" ]; then
    say "config $CONFIG kept as it is"
else
    hardware=sim
    on_pi && hardware=pi
    install -d -m 0755 "$CONFIG_DIR"
    sed -e "s|^hardware = \"sim\"|hardware = \"$hardware\"|" \
        -e "s|^data_dir = \"\"|data_dir = \"$DATA_DIR\"|" \
        "$REPO/deploy/station.example.toml" >"$CONFIG.new"
    "$VENV/bin/python" -I -c 'import sys; from station.runtime.core_config import load_config; load_config(sys.argv[1])' \
        "$CONFIG.new" || die "the new config does not load: $CONFIG.new"
    chmod 0640 "$CONFIG.new"
    [ -n "$ROOT" ] || chgrp "$SERVICE_USER" "$CONFIG.new"
    mv "$CONFIG.new" "$CONFIG"
    new_config=1
    say "config written to $CONFIG (hardware = \"$hardware\"): set the pins and the platform there"
fi

# 6. Units: installed, enabled, started
changed=$(install_units)
[ -z "$changed" ] || say "units installed: ${changed//$'\n'/ }"
if [ -z "$ROOT" ] && [ -n "$changed" ]; then systemctl daemon-reload; fi
enable_units
if [ "$START" = 0 ]; then
    say "enabled; not started (--no-start)"
elif ! can_run_service; then
    skipped "systemctl start ${SERVICES[*]} balance-station-backup.timer"
elif on_pi && [ "$new_config" = 1 ]; then
    service_ctl start balance-station-backup.timer
    say "enabled; not started yet: set the pins and platform in $CONFIG, run"
    say "'sudo balance-station selftest' and calibrate (README), then"
    say "'sudo systemctl start balance-station balance-station-panel'"
else
    service_ctl start balance-station-backup.timer
    if [ -n "$changed" ]; then
        service_ctl restart "${SERVICES[@]}"
    else
        service_ctl start "${SERVICES[@]}"
    fi
    if status=$(wait_healthy "$(venv_version "$VENV")" 90); then
        say "running: panel health $status"
    else
        die "the station did not come up: journalctl -u balance-station -u balance-station-panel -n 50"
    fi
fi
