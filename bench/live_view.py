"""The live view's cost on the tablet: CPU of the browser (Debian's chromium through Playwright,
headless, at the size of a 10-inch tablet) and of the station's processes while a patient's
page shows the live view, over ``--seconds`` each with the patient standing still and with a
quiet-stance trial running; one table.

A tablet runs this page for a whole session; the station's test suite runs it for minutes.

    python bench/live_view.py [--seconds 30]
"""

import argparse
import os
import time
from pathlib import Path

from daemon import Daemon, PanelSession, process_cpu_s
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PASSWORD = "bench live view password"
ROLES = (("renderer", "--type=renderer"), ("GPU process", "--type=gpu-process"))


def browser_processes() -> dict[int, str]:
    """Chromium's processes under this one, by role: renderer, GPU process, the rest."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    roles, todo = {}, [os.getpid()]
    while todo:
        parent = todo.pop()
        for pid in [p for p, pp in parents.items() if pp == parent]:
            todo.append(pid)
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            if "chromium" in command:
                roles[pid] = next((r for r, flag in ROLES if flag in command), "browser, other")
    return roles


def measure(daemon: Daemon, seconds: float) -> dict[str, float]:
    """CPU-s per second of each role over ``seconds``: chromium's and the station's."""
    processes = browser_processes()
    processes.update({pid: name for name, pid in daemon.pids().items()})
    before = {pid: process_cpu_s(pid) for pid in processes}
    time.sleep(seconds)
    used: dict[str, float] = {}
    for pid, role in processes.items():
        try:
            spent = process_cpu_s(pid) - before[pid]
        except FileNotFoundError:  # a helper process that ended meanwhile: its CPU is gone
            continue
        used[role] = used.get(role, 0.0) + spent / seconds
    return used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    with Daemon() as daemon, sync_playwright() as playwright:
        session = PanelSession(daemon.base)
        session.set_up_first_account("thea", PASSWORD)
        patient = session.call("/api/v1/patients", {"name": "Live View", "height_cm": 170})
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, has_touch=True)
        page = context.new_page()
        page.goto(f"{daemon.base}/login?next=/patients/{patient['id']}")
        page.fill("input[name=username]", "thea")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#phase")
        time.sleep(3)  # the page settled, the live stream flowing
        standing = measure(daemon, args.seconds)
        page.select_option("#drill", "quiet-stance")
        page.click("#start")
        page.wait_for_selector("#phase.phase-recording", timeout=30_000)
        recording = measure(daemon, args.seconds)
        browser.close()
    print(f"| CPU-s per second, over {args.seconds:g} s | patient standing | quiet stance |")
    print("|---|---|---|")
    for role in ("renderer", "GPU process", "browser, other", "core", "panel", "loadcells"):
        print(f"| {role} | {standing.get(role, 0):.3f} | {recording.get(role, 0):.3f} |")
    chromium = ("renderer", "GPU process", "browser, other")
    print(
        f"| chromium in all | {sum(standing.get(r, 0) for r in chromium):.3f} "
        f"| {sum(recording.get(r, 0) for r in chromium):.3f} |"
    )


if __name__ == "__main__":
    main()
