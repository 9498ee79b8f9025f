"""scipy is imported where it is used (the panel starts without it) and loaded whole by the
core before its loop starts: no trial's scoring imports a library while the loop runs."""

import ast
import json
import subprocess
import sys
from pathlib import Path

from sensing.libraries import SCORING

ROOT = Path(__file__).parents[2]
PACKAGES = ("station", "sensing", "drills", "webpanel", "hw")

SCORED_IN_A_FRESH_INTERPRETER = r"""
import json, sys
from station.clock import VirtualClock
from station.runtime.core_config import parse_config
from station.runtime.station import Station

station = Station(parse_config({"sim": {"step_on_at_s": 1.0}}), clock=VirtualClock(),
                  db_path=":memory:")
loaded = {m for m in sys.modules if m.split(".")[0] == "scipy"}
patient = station.records.create_patient({"name": "Libraries"})
trial = station.start_drill(patient["id"], "quiet-stance", {"duration_s": 10})["trial_id"]
station.run_virtual(max_s=60)
station.storage.flush()
result = station.results.get_trial(trial)["result"]
station.close()
print(json.dumps({
    "state": result["state"],
    "sway_measures": sorted(result["summary"]),
    "at_start": sorted(m for m in loaded if m in sys.argv[1:]),
    "imported_later": sorted({m for m in sys.modules if m.split(".")[0] == "scipy"} - loaded),
}))
"""


def scipy_imports(path: Path) -> set[str]:
    """The scipy modules ``path`` imports (``from scipy import signal`` is scipy.signal)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "scipy"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "scipy":
            if node.module == "scipy":
                found |= {f"scipy.{a.name}" for a in node.names}
            else:
                found.add(node.module)
    return found


def test_every_scipy_module_the_project_imports_is_one_the_core_loads():
    imported = {
        (str(path.relative_to(ROOT)), module)
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        for module in scipy_imports(path)
    }
    assert imported, "no scipy import found: the check would pass whatever the code does"
    assert {(path, m) for path, m in imported if m not in SCORING} == set()


def test_the_core_loads_scoring_s_libraries_before_a_trial_and_scoring_imports_none():
    run = subprocess.run(
        [sys.executable, "-c", SCORED_IN_A_FRESH_INTERPRETER, *SCORING],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.splitlines()[-1])
    assert report["state"] == "completed" and "velocity_mean_cm_s" in report["sway_measures"]
    assert report["at_start"] == sorted(SCORING)
    assert report["imported_later"] == []
