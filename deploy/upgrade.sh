#!/bin/bash
# Upgrade an installed station to a new version, keeping its data and config; roll back if the
# new version does not come up.
#
#   sudo deploy/upgrade.sh [--source DIR | --wheel FILE] [--health-timeout S]
#
#   --source DIR        the new version's source tree (default: the one holding this script)
#   --wheel FILE        the new version as a wheel
#   --health-timeout S  how long the new version has to answer /api/v1/health (default 90 s)
#   --root DIR, --deps-from SITE   as for install.sh
#
# Steps:
#   1. install the new version into a venv of its own (the station keeps running meanwhile)
#   2. stop the station (its core and its panel) and back its database up
#   3. point /opt/balance-station/venv at the new venv (venv.prev at the old one) and install
#      this tree's unit files
#   4. apply the new version's migrations (balance-station migrate)
#   5. start the station; it must be active and answer /api/v1/health with the new version
# If 4 or 5 fails: stop it, point venv back at the old version, put the old unit files back,
# restore the backup from 2 (the migrated database is kept as station.db.before-restore),
# start the old version and exit 1. The config is never touched.
set -euo pipefail
# shellcheck source=deploy/layout.sh
. "$(dirname "$0")/layout.sh"

ROOT="" SOURCE=$REPO WHEEL="" DEPS_FROM="" TIMEOUT=90
while [ $# -gt 0 ]; do
    case $1 in
        --root) ROOT=$(realpath -m "$2"); shift 2 ;;
        --source) SOURCE=$(realpath "$2"); shift 2 ;;
        --wheel) WHEEL=$(realpath "$2"); shift 2 ;;
        --deps-from) DEPS_FROM=$(realpath "$2"); shift 2 ;;
        --health-timeout) TIMEOUT=$2; shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
set_layout
[ -n "$ROOT" ] || [ "$(id -u)" = 0 ] || die "run as root: sudo $0 $*"
if [ ! -L "$VENV" ] || [ ! -x "$VENV/bin/balance-station" ]; then
    die "no station installed in $PREFIX: run deploy/install.sh first"
fi
[ -e "$CONFIG" ] || die "no config at $CONFIG: run deploy/install.sh first"

old_name=$(basename "$(readlink "$VENV")")
prev_name=$(basename "$(readlink "$VENV_PREV" 2>/dev/null || true)")
old_version=$(venv_version "$VENV")
cli=("$VENV/bin/balance-station")

# 1. The new version beside the old one
mkdir -p "$VENVS"
new=$(new_venv_dir)
new_name=$(basename "$new")
say "installing the new version into $new"
trap 'rm -rf "$new"; say "the new version did not install: the station was not touched"' EXIT
make_venv "$new"
new_version=$(venv_version "$new")
trap - EXIT
say "upgrading from $old_version to $new_version"

# 2. Stop, back up
mapfile -t old_services < <(installed_services)
service_ctl stop "${old_services[@]}"
backup=""
if [ -e "$DATA_DIR/station.db" ]; then
    if ! backup=$(as_service_user "${cli[@]}" backup --config "$CONFIG"); then
        rm -rf "$new"
        service_ctl start "${old_services[@]}"
        die "the backup failed, so nothing was changed: version $old_version runs again"
    fi
    say "database backed up to $backup"
fi

saved_units=$(mktemp -d)
for unit in "${UNITS[@]}"; do
    if [ -e "$UNIT_DIR/$unit" ]; then cp -p "$UNIT_DIR/$unit" "$saved_units/"; fi
done

rollback() {
    say "upgrade to $new_version failed: $1"
    say "rolling back to $old_version"
    service_ctl stop "${SERVICES[@]}" || true
    point_link "$VENV" "$old_name"
    if [ -n "$prev_name" ]; then point_link "$VENV_PREV" "$prev_name"; else rm -f "$VENV_PREV"; fi
    for unit in "${UNITS[@]}"; do  # the old units back; units the old version had not, gone
        if [ -e "$saved_units/$unit" ]; then
            cp -p "$saved_units/$unit" "$UNIT_DIR/"
        elif [ -e "$UNIT_DIR/$unit" ]; then
            systemctl ${ROOT:+--root="$ROOT"} --quiet disable "$unit" || true
            rm "$UNIT_DIR/$unit"
        fi
    done
    service_ctl daemon-reload
    if [ -n "$backup" ]; then
        as_service_user "${cli[@]}" restore "$backup" --config "$CONFIG" ||
            die "restoring $backup failed: restore it by hand (README, Backups)"
    fi
    rm -rf "$new"
    service_ctl start "${old_services[@]}" || true
    if can_run_service; then
        if status=$(wait_healthy "$old_version" "$TIMEOUT"); then
            say "version $old_version runs again (health $status)"
        else
            say "version $old_version did not come back either: journalctl -u balance-station -u balance-station-panel"
        fi
    fi
    exit 1
}

# 3. Switch
point_link "$VENV_PREV" "$old_name"
point_link "$VENV" "$new_name"
changed=$(install_units)
[ -z "$changed" ] || say "units updated: ${changed//$'\n'/ }"
service_ctl daemon-reload
enable_units  # a version that split the station into core and panel brings the panel's unit
cmp -s "$REPO/README.md" "$PREFIX/README.md" || install -m 0644 "$REPO/README.md" "$PREFIX/README.md"

# 4. Migrations (the new version's command)
as_service_user "$VENV/bin/balance-station" migrate --config "$CONFIG" ||
    rollback "the database migrations failed"

# 5. Start and check
if can_run_service; then
    service_ctl start "${SERVICES[@]}" ||
        rollback "the service did not start (journalctl -u balance-station -u balance-station-panel -n 50)"
    status=$(wait_healthy "$new_version" "$TIMEOUT") ||
        rollback "it did not answer /api/v1/health as version $new_version"
    say "version $new_version running (health $status)"
else
    skipped "starting and checking version $new_version"
fi

for dir in "$VENVS"/*; do
    case $(basename "$dir") in
        "$new_name" | "$old_name") ;;
        *) rm -rf "$dir" ;;
    esac
done
rm -rf "$saved_units"
say "upgraded from $old_version to $new_version; ${backup:-no database yet to back up}"
say "the previous version stays in $VENV_PREV until the next upgrade"
