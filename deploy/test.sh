#!/bin/sh
# The project's one test command (README, .ci/run): installs what the tests need on a fresh
# Debian machine (from Debian's packages: Chromium for the panel's browser tests, espeak-ng and
# sox for the spoken instructions, PostgreSQL for the clinic hub's, Node.js's npm if missing;
# axe-core from the npm registry for the accessibility checks; everything else into .venv from
# PyPI), then runs the whole suite on both cores. Extra arguments go to pytest.
set -eu
cd "$(dirname "$0")/.."
missing=""
for tool in chromium espeak-ng sox npm; do  # each command is its Debian package's name
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
# PostgreSQL's server for the clinic hub's tests (tests/hub: a throwaway cluster each run);
# Debian keeps initdb out of PATH
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq $missing >/dev/null
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get update -qq && sudo apt-get install -y -qq $missing >/dev/null
    else
        echo "The tests need Debian's$missing: run 'apt-get install$missing' as root." >&2
        exit 1
    fi
fi
if [ ! -f tests/browser/axe/node_modules/axe-core/axe.min.js ]; then
    npm ci --prefix tests/browser/axe --no-audit --no-fund --silent
fi
python3 -m venv .venv
# The project and its test extras go in with uv (from PyPI, into .venv), which installs the
# same packages as pip in 5 s where pip took 37 s (and 52 s before --no-compile) for a fresh
# .venv here, at the start of the run, when no test runs beside it. Like pip --no-compile, it
# byte-compiles nothing: what the tests import is compiled once, when first imported, into the
# caches below. The station itself is installed with pip (README, deploy/install.sh). uv reads
# neither pip's configuration nor its index mirrors, but the system's certificates
# (--native-tls); where it cannot reach PyPI, pip installs the same as before.
.venv/bin/pip install -q --disable-pip-version-check uv
.venv/bin/uv pip install -q --native-tls --python .venv/bin/python -e '.[test]' ||
    .venv/bin/pip install -q --no-compile -e '.[test]'
# Byte-code caches (__pycache__, ignored by git) even where the environment turns them off: the
# suite starts some 200 Python processes (daemons, command lines), each of which would compile
# the project again, and four pytest processes each rewriting every test module's asserts.
unset PYTHONDONTWRITEBYTECODE
# three pytest-xdist workers on the two cores: the real-time tests (the daemon, the browser, the
# load-cell process) spend most of their time waiting for real seconds to pass, and a third
# worker runs other tests meanwhile (a fourth made them fight for the cores: 850 s, not 726 s,
# and 15% more CPU, one run each). Each worker takes a whole test file at a time, in the order
# tests/conftest.py sorts them (real-time suites first, the clinical checks last; loadscope with
# that order kept), and its next file when two tests of the current one are left: the real-time
# files start at once on every worker rather than queue behind the 7-minute browser episode
# (with worksteal they did, and the run ended on a minute of them with the cores mostly idle),
# and the worker that waits for the clinical validation (computed by the session's controller
# at the lowest priority, tests/conftest.py) holds no test another could run; -n 0 runs in one
# process
exec .venv/bin/python -m pytest -n 3 --dist loadscope --no-loadscope-reorder "$@"
