"""The dependency rule of DESIGN.md, read from the imports of every module.

hw and sensing import none of ours; drills only sensing; webpanel only station; station anything
but webpanel, except the composition roots that serve the panel: the panel process's main and
the old one-process daemon's.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]
OURS = {"station", "hw", "sensing", "drills", "webpanel"}
ALLOWED = {
    "hw": set(),
    "sensing": set(),
    "drills": {"sensing"},
    "webpanel": {"station"},
    "station": {"hw", "sensing", "drills"},
}
COMPOSITION_ROOT = {
    "station/runtime/panel_main.py": {"webpanel"},
    "station/runtime/single_process.py": {"webpanel"},
}


def imported_packages(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            yield node.lineno, name.split(".")[0]


def test_packages_import_only_what_the_design_allows():
    broken = []
    checked = 0
    for package, allowed in ALLOWED.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            checked += 1
            rel = path.relative_to(ROOT).as_posix()
            ok = allowed | {package} | COMPOSITION_ROOT.get(rel, set())
            broken += [
                f"{rel}:{line} imports {root}"
                for line, root in imported_packages(path)
                if root in OURS and root not in ok
            ]
    assert checked > 20
    assert broken == []


def test_rule_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from station.config import load_config\nimport numpy\n")
    assert list(imported_packages(bad)) == [(1, "station"), (2, "numpy")]
