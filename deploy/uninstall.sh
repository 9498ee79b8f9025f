#!/bin/bash
# Remove the balance station's service and software; its data and config stay unless --purge.
#
#   sudo deploy/uninstall.sh [--purge]
#
#   --purge     also delete /var/lib/balance-station (the database and its backups: copy them
#               off first), /etc/balance-station, the service account and its boot-time files
#   --root DIR  as for install.sh
#
# The I2C lines in /boot/firmware/config.txt stay: other hardware may rely on them.
set -euo pipefail
# shellcheck source=deploy/layout.sh
. "$(dirname "$0")/layout.sh"

ROOT="" PURGE=0
while [ $# -gt 0 ]; do
    case $1 in
        --root) ROOT=$(realpath -m "$2"); shift 2 ;;
        --purge) PURGE=1; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
set_layout
[ -n "$ROOT" ] || [ "$(id -u)" = 0 ] || die "run as root: sudo $0 $*"

installed=()
for unit in "${UNITS[@]}"; do
    if [ -e "$UNIT_DIR/$unit" ]; then installed+=("$unit"); fi
done
if [ ${#installed[@]} -gt 0 ]; then
    service_ctl stop "${installed[@]}"
    systemctl ${ROOT:+--root="$ROOT"} --quiet disable "${installed[@]}"
    for unit in "${installed[@]}"; do rm "$UNIT_DIR/$unit"; done
fi
service_ctl daemon-reload
rm -rf "$PREFIX" "$WRAPPER"
say "removed the services (core and panel), the backup timer and $PREFIX"

if [ "$PURGE" = 1 ]; then
    rm -rf "$DATA_DIR" "$CONFIG_DIR" "$SYSUSERS" "$MODULES"
    if grep -q "^$SERVICE_USER:" "$ROOT/etc/passwd" 2>/dev/null; then
        userdel ${ROOT:+--prefix "$ROOT"} "$SERVICE_USER"
    fi
    if grep -q "^$SERVICE_USER:" "$ROOT/etc/group" 2>/dev/null; then
        groupdel ${ROOT:+--prefix "$ROOT"} "$SERVICE_USER"
    fi
    say "purged $DATA_DIR (database and backups), $CONFIG_DIR and the $SERVICE_USER account"
else
    say "kept $DATA_DIR (database and backups) and $CONFIG (--purge deletes them)"
fi
