"""The dependency rule of DESIGN.md, read from the imports of every module.

hw and sensing import none of ours; drills only sensing; webpanel only station; station anything
but webpanel, except the composition root that serves the panel: the panel process's main (the
old one-process daemon serves the panel through it).
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


# --- the panel process imports nothing of hw ---------------------------------------------------
# The panel process's own code: every import in it is followed, also those inside functions.
PANEL_CODE = (
    "station.runtime.panel_main",
    "station.runtime.panel_station",
    "station.runtime.core_client",
    "station.runtime.protocol",
)
ENTRY = ("station.__main__",)  # what `balance-station panel` loads before it picks the panel


def module_files(root: Path) -> dict[str, Path]:
    """Our modules by dotted name (a package by its own name), for the packages in OURS."""
    files = {}
    for package in OURS:
        for path in (root / package).rglob("*.py"):
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            files[name.removesuffix(".__init__")] = path
    return files


def imported_modules(path: Path, files: dict, top_level_only: bool) -> set[str]:
    """Our modules that ``path`` imports (with their parent packages, which Python imports
    first): anywhere in it, or only in statements run at import time."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside = set()
    if top_level_only:
        functions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
        for node in ast.walk(tree):
            if isinstance(node, functions):
                inside.update(id(n) for n in ast.walk(node) if n is not node)
    names = set()
    for node in ast.walk(tree):
        if id(node) in inside:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    found = set()
    for name in names:
        parts = name.split(".")
        found.update(
            ".".join(parts[:k]) for k in range(1, len(parts) + 1) if ".".join(parts[:k]) in files
        )
    return found


def first_path_to(target: str, starts, files: dict, everywhere=lambda name: False):
    """The chain of imports from one of ``starts`` to a module of package ``target`` (None if
    there is none): the imports run at import time, and for the modules ``everywhere``
    names, also those inside functions."""
    parent = dict.fromkeys(starts)
    todo = list(starts)
    while todo:
        name = todo.pop()
        if name.split(".")[0] == target:
            chain = [name]
            while parent[chain[-1]] is not None:
                chain.append(parent[chain[-1]])
            return chain[::-1]
        for child in sorted(imported_modules(files[name], files, not everywhere(name))):
            if child not in parent:
                parent[child] = name
                todo.append(child)
    return None


def panel_code(name: str) -> bool:
    return name.split(".")[0] == "webpanel" or name in PANEL_CODE


def test_the_panel_process_imports_nothing_of_hw():
    """The panel process has no business with devices. Neither what ``balance-station`` loads
    before it picks the panel command, nor the panel's own code (every webpanel module and
    the panel's runtime, every import in them followed, also inside functions, and what
    those modules import when imported) reaches hw. tests/e2e/test_panel_imports.py checks
    the running panel after it has served every page."""
    files = module_files(ROOT)
    panel = sorted(name for name in files if panel_code(name))
    assert first_path_to("hw", panel, files, everywhere=panel_code) is None
    assert first_path_to("hw", list(ENTRY), files) is None
    assert first_path_to("hw", ["station.runtime.core_main"], files)  # the core's does


def test_the_panel_rule_catches_an_import_of_hw(tmp_path):
    for package in OURS:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "webpanel" / "page.py").write_text(
        "def view():\n    from station.helper import shown\n    return shown\n"
    )
    (tmp_path / "station" / "helper.py").write_text("from hw.sim import person\nshown = 1\n")
    (tmp_path / "hw" / "sim.py").write_text("person = 1\n")
    files = module_files(tmp_path)
    chain = first_path_to("hw", ["webpanel.page"], files, everywhere=panel_code)
    assert chain == ["webpanel.page", "station.helper", "hw.sim"]
    assert first_path_to("hw", ["webpanel.page"], files) is None  # only inside a function


def storage_reaches(source: str) -> list[int]:
    """Lines of ``source`` that read an attribute named ``storage`` (the Station's database
    handle) instead of asking the Station's own methods."""
    return sorted(
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr == "storage"
    )


def test_the_panel_asks_the_station_never_its_storage():
    reaches = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / "webpanel").rglob("*.py")
        if (lines := storage_reaches(path.read_text()))
    }
    assert reaches == {}


# --- the rooms of station/ and the modules the panel may use -----------------------------------
STATION_TOP_LEVEL = {"__init__.py", "__main__.py", "config.py", "errors.py", "clock.py"}
PANEL_MAY_IMPORT = (
    "station.config",
    "station.errors",
    "station.records",
    "station.results",
    "station.calibration",
    "station.i18n",  # the languages and their catalogs, shared with the spoken instructions
    "station.technician.diagnostics",
    "station.runtime.server",  # the panel's own WSGI server: its request size limit
    "station.runtime.logs",  # the recent log lines the technician page shows
)


def station_modules_outside(allowed, imports) -> list[str]:
    """The imported ``station`` modules that are not ``allowed`` (nor inside an allowed one)."""
    return sorted(
        name
        for name in imports
        if name.split(".")[0] == "station"
        and name != "station"
        and not any(name == a or name.startswith(a + ".") for a in allowed)
    )


def panel_station_imports(path: Path) -> set[str]:
    """The ``station`` modules a panel module imports, anywhere in it."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "station":
                names.update(f"station.{alias.name}" for alias in node.names)
            else:
                names.add(node.module)
    return names


def test_station_keeps_its_modules_in_rooms():
    """Only the config, errors, clock and the entry point sit in station/ itself; the rest is
    in its rooms (runtime, storage, records, results, calibration, technician, hub, cli)."""
    loose = sorted(p.name for p in (ROOT / "station").glob("*.py"))
    assert set(loose) - STATION_TOP_LEVEL == set()
    assert len(loose) <= 5


def test_the_panel_imports_only_the_stations_services():
    """The panel reaches the station through its services (records, results, calibration,
    diagnostics), never its storage or the core's runtime."""
    outside = {
        str(path.relative_to(ROOT)): bad
        for path in (ROOT / "webpanel").rglob("*.py")
        if (bad := station_modules_outside(PANEL_MAY_IMPORT, panel_station_imports(path)))
    }
    assert outside == {}


def test_the_panel_import_rule_catches_a_breach(tmp_path):
    page = tmp_path / "page.py"
    page.write_text(
        "from station.storage.database import Storage\nfrom station import loop\n"
        "from station.records.patients import FIELDS\n"
    )
    imports = panel_station_imports(page)
    assert station_modules_outside(PANEL_MAY_IMPORT, imports) == [
        "station.loop",
        "station.storage.database",
    ]
    assert station_modules_outside(PANEL_MAY_IMPORT, {"station.recordsx.y"}) == [
        "station.recordsx.y"
    ]


def test_the_storage_rule_catches_a_reach():
    assert storage_reaches("def f():\n    return station().storage.count_trials(1)\n") == [2]
    assert storage_reaches("from station.storage.database import PATIENT_PAGE\n") == []
