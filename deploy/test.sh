#!/bin/sh
# The project's one test command (README, .ci/run): installs what the tests need on a fresh
# Debian machine (Chromium for the panel's browser tests, from Debian's packages; everything
# else into .venv from PyPI), then runs the whole suite on both cores. Extra arguments go to
# pytest.
set -eu
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq chromium >/dev/null
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null
    else
        echo "The browser tests need Debian's chromium: run 'apt-get install chromium' as root." >&2
        exit 1
    fi
fi
python3 -m venv .venv
.venv/bin/pip install -q -e '.[test]'
# three pytest-xdist workers on the two cores: the real-time tests (the daemon, the browser, the
# load-cell process) spend most of their time waiting for real seconds to pass, and a third
# worker runs other tests meanwhile; the clinical validation is computed by the session's
# controller at the lowest priority (tests/conftest.py); -n 0 runs in one process
exec .venv/bin/python -m pytest -n 3 "$@"
