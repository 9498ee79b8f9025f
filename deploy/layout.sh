# shellcheck shell=bash
# The installed station's layout and the steps install.sh, upgrade.sh and uninstall.sh share.
# Sourced (bash), not run. Every path is under $ROOT ("" on a real station; --root DIR puts the
# whole tree inside DIR for tests and staging, and then the venv, config and wrapper point into
# DIR too, so the tree works where it stands).
#
# Environment:
#   PYTHON      the Python that creates the venv (default python3)
#   SYSTEMCTL   the command that starts, stops and checks the service (default systemctl; under
#               --root these steps are skipped unless SYSTEMCTL is set, e.g. to the tests'
#               stand-in that runs the daemon from the tree without systemd)

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The station's two processes: the core (devices, control loop, storage) and the panel.
SERVICES=(balance-station.service balance-station-panel.service)
UNITS=("${SERVICES[@]}" balance-station-backup.service balance-station-backup.timer)
SERVICE_USER=balance-station

set_layout() {
    PREFIX=$ROOT/opt/balance-station
    VENVS=$PREFIX/venvs          # one directory per installed version (a venv cannot be moved)
    VENV=$PREFIX/venv            # -> venvs/<stamp>: the version that runs
    VENV_PREV=$PREFIX/venv.prev  # -> venvs/<stamp>: the one before the last upgrade
    CONFIG_DIR=$ROOT/etc/balance-station
    CONFIG=$CONFIG_DIR/station.toml
    DATA_DIR=$ROOT/var/lib/balance-station
    UNIT_DIR=$ROOT/etc/systemd/system
    SYSUSERS=$ROOT/etc/sysusers.d/balance-station.conf
    MODULES=$ROOT/etc/modules-load.d/balance-station.conf
    WRAPPER=$ROOT/usr/local/bin/balance-station
}

say() { printf 'balance-station: %s\n' "$*"; }
die() { printf 'balance-station: error: %s\n' "$*" >&2; exit 1; }
skipped() { say "skipped (root dir): $*"; }

# systemctl for starting, stopping and checking: skipped under --root without SYSTEMCTL.
service_ctl() {
    if [ -n "${SYSTEMCTL:-}" ]; then
        "$SYSTEMCTL" "$@"
    elif [ -n "$ROOT" ]; then
        skipped "systemctl $*"
    else
        systemctl "$@"
    fi
}

# Whether the service can be started and checked here (a real root, or a SYSTEMCTL stand-in).
can_run_service() { [ -z "$ROOT" ] || [ -n "${SYSTEMCTL:-}" ]; }

# Run a balance-station command as the service user, so the database keeps its owner (a WAL
# file created by root would lock the service out). Under --root: as the caller.
as_service_user() {
    if [ -n "$ROOT" ] || [ "$(id -u)" != 0 ]; then
        "$@"
    else
        runuser -u "$SERVICE_USER" -- "$@"
    fi
}

# make_venv DIR: a venv with the package from $WHEEL or $SOURCE (built into a wheel first).
# --system-site-packages: Debian's python3-lgpio (GPIO on the Pi) lives there. With
# $DEPS_FROM, the dependencies come from that existing site-packages directory (a .pth file)
# and pip uses no index: for tests and offline staging. pip still checks every requirement.
make_venv() {
    local dir=$1 wheel=$WHEEL site
    "${PYTHON:-python3}" -m venv --system-site-packages "$dir"
    local pip=("$dir/bin/python" -I -m pip --disable-pip-version-check --quiet)
    if [ -n "$DEPS_FROM" ]; then
        site=$("$dir/bin/python" -I -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
        printf '%s\n' "$DEPS_FROM" >"$site/balance-station-deps.pth"
    fi
    local build
    build=$(mktemp -d)
    if [ -z "$wheel" ]; then
        "${pip[@]}" wheel --no-deps --wheel-dir "$build" "$SOURCE"
        wheel=$(ls "$build"/balance_station-*.whl)
    fi
    if [ -n "$DEPS_FROM" ]; then
        "${pip[@]}" install --no-index "$wheel"
    else
        "${pip[@]}" install "$wheel"
    fi
    rm -rf "$build"
    "$dir/bin/balance-station" --help >/dev/null || die "the new venv's balance-station does not run"
}

# The version installed in a venv.
venv_version() {
    "$1/bin/python" -I -c 'from importlib.metadata import version; print(version("balance-station"))'
}

# A new directory name under $VENVS (UTC time; a second run in the same second waits for the next).
new_venv_dir() {
    local dir
    while dir=$VENVS/$(date -u +%Y%m%d-%H%M%S) && [ -e "$dir" ]; do sleep 1; done
    printf '%s\n' "$dir"
}

# point_link LINK TARGET_NAME: replace the symlink in one rename (never a moment without one).
point_link() {
    ln -sfn "venvs/$2" "$1.tmp"
    mv -T "$1.tmp" "$1"
}

# The station's services whose unit files are installed (a version before the core and the
# panel were split had only balance-station.service), one a line.
installed_services() {
    local unit
    for unit in "${SERVICES[@]}"; do
        if [ -e "$UNIT_DIR/$unit" ]; then printf '%s\n' "$unit"; fi
    done
}

# Enable (at boot) the station's services and the backup timer.
enable_units() {
    systemctl ${ROOT:+--root="$ROOT"} --quiet enable "${SERVICES[@]}" balance-station-backup.timer
}

# Copy the unit files from the repository into $UNIT_DIR; prints the names that changed.
install_units() {
    local unit
    mkdir -p "$UNIT_DIR"
    for unit in "${UNITS[@]}"; do
        if ! cmp -s "$REPO/systemd/$unit" "$UNIT_DIR/$unit"; then
            install -m 0644 "$REPO/systemd/$unit" "$UNIT_DIR/$unit"
            printf '%s\n' "$unit"
        fi
    done
}

# wait_healthy VERSION TIMEOUT_S: the installed services are active and the panel answers
# /api/v1/health as VERSION, with the core behind it, within TIMEOUT_S. Prints the health
# status ("ok" or "degraded") on success.
wait_healthy() {
    local version=$1 timeout_s=$2 units
    units=$(installed_services | paste -sd, -)
    "$VENV/bin/python" -I - "$CONFIG" "$version" "$timeout_s" "${SYSTEMCTL:-systemctl}" "$units" <<'EOF'
import json, subprocess, sys, time, urllib.request
from station.runtime.core_config import load_config

config, version, timeout_s, systemctl = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
units = sys.argv[5].split(",")
panel = load_config(config).panel
host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(panel.host, panel.host)
url = f"http://{host}:{panel.port}/api/v1/health"
deadline = time.monotonic() + timeout_s
seen = "no answer"
while time.monotonic() < deadline:
    for unit in units:
        if subprocess.run([systemctl, "is-active", "--quiet", unit]).returncode:
            sys.exit(f"{unit} is not active ({seen})")
    try:  # 503 while the panel cannot reach the core: an HTTPError, an OSError
        with urllib.request.urlopen(url, timeout=5) as response:
            health = json.loads(response.read())
    except (OSError, ValueError) as exc:
        seen = f"{url}: {exc}"
    else:
        if health.get("version") == version:
            print(health.get("status"))
            sys.exit(0)
        seen = f"{url} answers version {health.get('version')}, not {version}"
    time.sleep(1)
sys.exit(f"not healthy within {timeout_s:g} s ({seen})")
EOF
}
