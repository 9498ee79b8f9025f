"""Fixtures for the deploy scripts: wheels of this tree (and of an upgrade and a broken
upgrade), the test environment's packages as the dependencies, and a root directory that looks
like a fresh Raspberry Pi OS as far as the scripts look.

The installs are real: ``python3 -m venv`` and pip install the station's wheel into the tree,
pip checks every requirement, and the venv's own ``balance-station`` runs. Only the
dependencies are not downloaded again: they come from this test environment's site-packages
(``--deps-from``, a .pth file in the venv) with pip's index turned off, which keeps an install
at about ten seconds. Building the wheels uses pip's isolated build, which fetches setuptools
from the package index as ``deploy/test.sh`` does.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
import types
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
DEPLOY = REPO / "deploy"
FAKE_SYSTEMCTL = Path(__file__).with_name("fake_systemctl.py")
SOURCE_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "tests", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache",
    ".hypothesis", "build", "bench",
)  # fmt: skip
BOOT_CONFIG = """\
# For more options and information see
# http://rptl.io/configtxt
# Uncomment some or all of these to enable the optional hardware interfaces
#dtparam=i2c_arm=on
#dtparam=spi=on

# Enable audio (loads snd_bcm2835)
dtparam=audio=on

[cm5]
dtoverlay=dwc2,dr_mode=host
"""
BROKEN_MIGRATION = '''

def _upgrade_probe(db):
    """Deploy test only: a schema change the rollback must undo."""
    db["upgrade_probe"].create({"id": int}, pk="id")


MIGRATIONS = (*MIGRATIONS, _upgrade_probe)
'''
BROKEN_SERVER = '\nraise ImportError("deploy test: this build is broken on purpose")\n'


@pytest.fixture(autouse=True, scope="session")
def systemd_tools():
    missing = [
        t for t in ("systemd-analyze", "systemctl", "systemd-sysusers") if not shutil.which(t)
    ]
    if missing:
        pytest.skip(
            f"the deploy tests need systemd's tools ({', '.join(missing)}): apt install systemd"
        )


def run(cmd, env=None, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, env=env, timeout=600, cwd="/"
    )  # cwd /: nothing of this checkout can be imported by accident
    if check and result.returncode != 0:
        raise AssertionError(
            f"{cmd} exited {result.returncode}\n--- stdout\n{result.stdout}\n"
            f"--- stderr\n{result.stderr}"
        )
    return result


def base_version() -> str:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def source_copy(dest: Path, version: str, appended: dict[str, str] | None = None) -> Path:
    """This tree's package sources at ``version``, with text appended to some modules."""
    shutil.copytree(REPO, dest, ignore=SOURCE_IGNORE)
    pyproject = dest / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace(f'version = "{base_version()}"', f'version = "{version}"', 1))
    for module, extra in (appended or {}).items():
        with open(dest / module, "a") as f:
            f.write(extra)
    return dest


def build_wheel(source: Path, out: Path) -> Path:
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, source])
    (wheel,) = out.glob("balance_station-*.whl")
    return wheel


@pytest.fixture(scope="session")
def versions(tmp_path_factory):
    """Wheels of this version and of a broken next one, and the source of a good next one."""
    top = tmp_path_factory.mktemp("versions")
    base = base_version()
    broken_source = source_copy(
        top / "broken",
        f"{base}.post2",
        {
            "station/storage/migrations.py": BROKEN_MIGRATION,
            "station/runtime/server.py": BROKEN_SERVER,
        },
    )
    return {
        "current": (base, build_wheel(source_copy(top / "current", base), top / "wheels-current")),
        "next": (f"{base}.post1", source_copy(top / "next", f"{base}.post1")),
        "broken": (f"{base}.post2", build_wheel(broken_source, top / "wheels-broken")),
    }


@pytest.fixture(scope="session")
def deps(tmp_path_factory) -> Path:
    """This environment's site-packages without the station itself (installed editable here)."""
    site = Path(sysconfig.get_paths()["purelib"])
    folder = tmp_path_factory.mktemp("deps")
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(("balance_station", "__editable__", "_balance_station")):
            continue
        if name.endswith(".pth"):
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


@pytest.fixture
def root() -> Path:
    """An empty root directory with a Raspberry Pi OS boot config; short, directly under the
    temporary folder, as the station's sockets under <root>/var/lib/balance-station must fit
    the 107 bytes of a local socket's path (pytest's own folders under an xdist worker do not)."""
    top = Path(tempfile.mkdtemp(prefix="bs-root-"))
    root = top / "root"
    boot = root / "boot" / "firmware"
    boot.mkdir(parents=True)
    (boot / "config.txt").write_text(BOOT_CONFIG)
    yield root
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def script_env(tmp_path):
    """The scripts' environment: the venvs are made with this interpreter's base Python."""
    return {**os.environ, "PYTHON": sys._base_executable}


def install(root, wheel, deps, env, *extra) -> subprocess.CompletedProcess:
    return run(
        [DEPLOY / "install.sh", "--root", root, "--wheel", wheel, "--deps-from", deps, *extra],
        env=env,
    )


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under ``root``: its mode and content hash, or its link target (caches of
    compiled Python files left out: running a program may write them)."""
    state = {}
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts:
            continue
        rel = str(path.relative_to(root))
        if path.is_symlink():
            state[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            state[rel] = ("dir", path.stat().st_mode)
        else:
            state[rel] = (path.stat().st_mode, hashlib.sha256(path.read_bytes()).hexdigest())
    return state


@pytest.fixture
def deploy(root, deps, script_env):
    """The scripts and the helpers the deploy tests share."""
    return types.SimpleNamespace(
        dir=DEPLOY,
        run=run,
        snapshot=snapshot,
        install=lambda wheel, *extra: install(root, wheel, deps, script_env, *extra),
        fake_systemctl=FAKE_SYSTEMCTL,
    )
