"""``balance-station``: run the daemon (its core and panel processes), simulate a drill,
analyse recordings, check hardware.

The daemon's commands import their process's modules only when chosen, so that ``panel``
loads nothing of ``hw`` (tests/test_architecture.py).
"""

import argparse
import json
import logging
import sys
from pathlib import Path

from station.cli.accounts import add_accounts_parser, run_accounts
from station.cli.backup import add_backup_parsers, run_backup, run_migrate, run_restore
from station.cli.calibrate import add_calibrate_parser, run_calibrate
from station.cli.export_fhir import add_export_fhir_parser, run_export_fhir
from station.cli.hub import add_hub_parser, run_hub
from station.errors import StationError
from station.runtime.logs import configure_logging

log = logging.getLogger("balance-station")

HEADLINE_METRICS = (
    "area_ellipse95_cm2",
    "velocity_mean_cm_s",
    "path_length_cm",
    "distance_mean_cm",
    "frequency_mean_hz",
    "n_samples",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="balance-station", description="Balance station for physical therapy clinics."
    )
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING"))
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="run the station: its core, which starts and supervises its panel"
    )
    run.add_argument("--config", type=Path, help="TOML config (default: see README)")
    run.add_argument(
        "--single-process",
        action="store_true",
        help="the old one-process daemon, for side-by-side benchmarks (bench/)",
    )
    core = sub.add_parser(
        "core", help="the core alone: devices, control loop, storage (balance-station.service)"
    )
    core.add_argument("--config", type=Path, help="TOML config (default: see README)")
    panel = sub.add_parser(
        "panel", help="the panel alone, talking to the core (balance-station-panel.service)"
    )
    panel.add_argument("--config", type=Path, help="TOML config (default: see README)")
    panel.add_argument(
        "--exit-with", type=int, metavar="PID", help="stop when process PID ends (used by run)"
    )

    sim = sub.add_parser("simulate", help="run a drill on emulated hardware with a virtual clock")
    sim.add_argument("drill", help="drill name, e.g. quiet-stance")
    sim.add_argument("--profile", default="healthy-young", help="simulated patient profile")
    sim.add_argument("--seed", type=int, default=0, help="random seed of the simulated patient")
    sim.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="drill parameter (repeatable)",
    )
    sim.add_argument(
        "--imu-mount",
        choices=("wobble-board", "trunk"),
        help="where the IMU is (default: on the trunk for postural-hold, on a wobble board for "
        "the other drills that need it; none for a drill that does not)",
    )
    sim.add_argument("--config", type=Path, help="TOML config for platform and loop settings")
    sim.add_argument("--json", action="store_true", help="print the result as JSON")

    episode = sub.add_parser(
        "simulate-episode",
        help="a whole episode of care on the virtual patient: evaluation, plan, visits, "
        "re-evaluation, goals",
    )
    episode.add_argument("--profile", default="high-fall-risk", help="simulated patient profile")
    episode.add_argument("--seed", type=int, default=0, help="random seed of the patient")
    episode.add_argument("--weeks", type=int, default=8, help="weeks of visits, twice a week")
    episode.add_argument(
        "--db",
        type=Path,
        help="keep the episode in this database (a new file, for the panel to show; the "
        "station's own database only while the station is stopped); default: thrown away",
    )
    episode.add_argument(
        "--config", type=Path, help="TOML config for platform and loop settings (as simulate)"
    )
    episode.add_argument("--json", action="store_true", help="print the story as JSON")

    analyze = sub.add_parser(
        "analyze", help="sway metrics of recordings (public data set format or station exports)"
    )
    analyze.add_argument("files", nargs="+", type=Path, metavar="FILE")
    analyze.add_argument("--json", action="store_true", help="print a JSON array")
    analyze.add_argument(
        "--filter-hz",
        type=float,
        help="zero-lag Butterworth low-pass cutoff (default: the published processing: a "
        "station export's raw COP through the data set's 10 Hz low-pass; the data set's own "
        "files, already filtered by their authors, as they are)",
    )
    analyze.add_argument(
        "--no-filter", action="store_true", help="analyse the COP as it is in every file"
    )
    analyze.add_argument("--filter-order", type=int, default=4, help="filter order (default 4)")
    analyze.add_argument("--resample-hz", type=float, help="resample first (e.g. 25, Quijoux)")
    analyze.add_argument(
        "--ellipse",
        default="prediction",
        choices=("prediction", "confidence", "chi2"),
        help="95%% ellipse quoted as area_ellipse95_cm2 (all three are always given)",
    )

    export = sub.add_parser("export", help="a stored trial's raw samples as CSV")
    export.add_argument("trial_id")
    export.add_argument("--config", type=Path, help="TOML config (for the data directory)")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    add_export_fhir_parser(sub)

    selftest = sub.add_parser(
        "selftest", help="probe every device, measure rates and noise (platform empty)"
    )
    selftest.add_argument("--config", type=Path, help="TOML config (default: see README)")
    selftest.add_argument("--seconds", type=float, default=2.0, help="measurement window, s")
    selftest.add_argument("--json", action="store_true", help="print the report as JSON")

    scan = sub.add_parser("i2c-scan", help="list what answers on the I2C bus and behind the mux")
    scan.add_argument("--config", type=Path, help="TOML config (default: see README)")
    scan.add_argument("--json", action="store_true", help="print as JSON")

    add_calibrate_parser(sub)
    add_accounts_parser(sub)
    add_backup_parsers(sub)
    add_hub_parser(sub)

    drills = sub.add_parser("drills", help="list the drill catalog")
    drills.add_argument("--json", action="store_true", help="print as JSON")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(args.log_level)
    handler = {
        "run": _run,
        "core": _core,
        "panel": _panel,
        "simulate": _simulate,
        "simulate-episode": _simulate_episode,
        "analyze": _analyze,
        "drills": _drills,
        "selftest": _selftest,
        "i2c-scan": _i2c_scan,
        "export": _export,
        "export-fhir": run_export_fhir,
        "calibrate": run_calibrate,
        "accounts": run_accounts,
        "backup": run_backup,
        "restore": run_restore,
        "migrate": run_migrate,
        "hub": run_hub,
    }
    try:
        return handler[args.command](args)
    except StationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _run(args) -> int:
    """The core, which starts and supervises the panel; or, asked for, the old one process."""
    from station.runtime.core_config import load_config

    config = load_config(args.config)
    log.info("config: %s", config.source or "built-in defaults (no config file)")
    if args.single_process:
        from station.runtime.single_process import run_single_process

        return run_single_process(config)
    from station.runtime.core_main import run_core
    from station.runtime.panel_process import PanelProcess

    return run_core(config, PanelProcess(args.config, args.log_level))


def _core(args) -> int:
    from station.runtime.core_config import load_config
    from station.runtime.core_main import run_core

    config = load_config(args.config)
    log.info("config: %s", config.source or "built-in defaults (no config file)")
    return run_core(config)


def _panel(args) -> int:
    from station.config import load_config
    from station.runtime.panel_main import run_panel

    # no amplifiers: the panel process imports nothing of hw; the core checks [loadcells]
    return run_panel(load_config(args.config, amplifiers=None), args.exit_with)


def _parse_params(pairs: list[str]) -> dict:
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise StationError(f"--param {pair!r}: expected NAME=VALUE")
        params[name.strip()] = value.strip()
    return params


def _simulate(args) -> int:
    from drills.catalog import DRILLS, needs_imu
    from station.clock import VirtualClock
    from station.runtime.core_config import load_config, parse_config
    from station.runtime.station import Station

    drill = DRILLS.get(args.drill)  # an unknown name is refused by start_drill, with the list
    mount = args.imu_mount or (drill and drill.imu_mount)  # else [sim]'s default, or no IMU
    overrides = {
        "station": {"hardware": "sim"},
        "sim": {
            "profile": args.profile,
            "seed": args.seed,
            **({"imu_mount": mount} if mount else {}),
        },
    }
    if not (args.imu_mount or needs_imu((args.drill,))):
        overrides["imu"] = {"enabled": False}  # what the drill reads comes out the same
    # Only an explicit --config is read: a station's own calibration would not fit the emulator.
    config = load_config(args.config, overrides) if args.config else parse_config(overrides)
    station = Station(config, clock=VirtualClock(), db_path=":memory:")
    try:
        body = station.hardware.person.profile
        patient = station.records.create_patient(
            {
                "name": f"Simulated {args.profile}",
                "height_cm": round(body.height_m * 100, 1),
                "weight_kg": body.mass_kg,
            }
        )
        started = station.start_drill(patient["id"], args.drill, _parse_params(args.param))
        station.run_virtual(max_s=600.0)
        if station.loop.session is not None:
            station.stop_drill("simulation time limit (600 s) reached")
        station.storage.flush()
        trial = station.results.get_trial(started["trial_id"])
    finally:
        station.close()
    out = {
        **trial["result"],
        "profile": args.profile,
        "seed": args.seed,
        "simulated_s": trial["duration_s"],
        "events": trial["events"],
        "cues": trial["cues"],
    }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(
            f"{out['drill']} ({args.profile}, seed {args.seed}): {out['state']}"
            + (f" - {out['reason']}" if out["reason"] else "")
        )
        metrics = out.get("metrics") or {}
        shown = [k for k in HEADLINE_METRICS if k in metrics] or list(metrics)
        scores = {k: metrics[k] for k in shown}
        scores.update(
            (k, v)
            for k, v in out.items()
            if isinstance(v, int | float) and k not in ("seed", "simulated_s", "recorded_s")
        )
        for key, value in scores.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                print(f"  {key:28s} {value:.4g}")
            elif value is not None:
                print(f"  {key:28s} {value}")
        quality = out.get("quality")
        if quality:
            problems = [f["message"] for f in quality["flags"] if f["severity"] == "fail"]
            print("  data quality: " + ("ok" if quality["ok"] else "FAILED: " + " ".join(problems)))
    return 0 if out["state"] == "completed" else 1


def _simulate_episode(args) -> int:
    import logging
    import tempfile

    from station.cli.episode import format_story, run_episode, story_json

    if args.weeks < 1 or args.weeks > 26:
        raise StationError(f"--weeks {args.weeks}: an episode lasts 1 to 26 weeks")
    logging.getLogger().setLevel(logging.WARNING)  # the story, not every trial's start and end
    with tempfile.TemporaryDirectory() as scratch:
        db_path = str(args.db) if args.db else f"{scratch}/episode.db"
        story = run_episode(args.profile, args.seed, args.weeks, db_path, config_path=args.config)
    print(story_json(story) if args.json else format_story(story))
    if args.db:
        print(f"\nKept in {args.db}: patient {story['patient']['id']}.")
    return 0


def _analyze(args) -> int:
    from sensing.analysis import analyse_cop
    from sensing.errors import SensingError
    from sensing.norms import PUBLISHED_FILTER
    from station.results.conventions import analysis_options
    from station.results.recordings import read_recording

    if args.no_filter and args.filter_hz is not None:
        raise StationError("--no-filter and --filter-hz contradict each other: give one")
    options = analysis_options(args.filter_hz, args.filter_order, args.resample_hz, args.ellipse)
    published = args.filter_hz is None and not args.no_filter
    results, failed = [], 0
    for path in args.files:
        try:
            rec = read_recording(path)
            chosen = {**options, "filter": PUBLISHED_FILTER} if published and rec.raw else options
            analysis = analyse_cop(rec.ap_cm, rec.ml_cm, rec.fs_hz, **chosen)
        except (StationError, SensingError) as exc:
            where = "" if str(exc).startswith(str(path)) else f"{path}: "
            print(f"error: {where}{exc}", file=sys.stderr)
            failed += 1
            continue
        results.append({"file": str(path), "fs_hz": rec.fs_hz, **analysis})
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for item in results:
            m = item["metrics"]
            print(
                f"{item['file']}: area {m['area_ellipse95_cm2']:.4f} cm2, "
                f"velocity {m['velocity_mean_cm_s']:.4f} cm/s, "
                f"mean frequency {m['frequency_mean_hz']:.4f} Hz"
            )
    return 1 if failed else 0


def _selftest(args) -> int:
    from station.calibration.platform import calibration_in_use
    from station.clock import MonotonicClock, VirtualClock
    from station.runtime.core_config import load_config
    from station.storage.database import Storage
    from station.technician.selftest import format_report, run_selftest

    if not 0.5 <= args.seconds <= 60:
        raise StationError(f"--seconds {args.seconds}: choose 0.5 to 60 s")
    # the simulated patient stays off: noise is measured on an empty platform
    config = load_config(args.config, {"sim": {"step_on_at_s": 1e6}})
    db_path = config.station.data_dir / "station.db"
    record = None
    if db_path.exists():
        storage = Storage(db_path)
        record = storage.active_calibration()
        storage.close()
    calibration, _, _ = calibration_in_use(config, record)
    # simulated chips on a virtual clock, as calibrate runs them: the rates measured are the
    # emulated chips', not how busy the computer running the simulation happens to be
    clock = VirtualClock() if config.station.hardware == "sim" else MonotonicClock()
    report = run_selftest(config, clock, calibration, args.seconds)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0 if report["ok"] else 1


def _i2c_scan(args) -> int:
    from station.clock import MonotonicClock
    from station.runtime.core_config import load_config
    from station.runtime.hardware import open_i2c_bus
    from station.technician.i2cscan import format_scan, missing_chips, mux_address, scan_bus

    config = load_config(args.config)
    bus = open_i2c_bus(config, MonotonicClock())
    if bus is None:
        raise StationError(
            f"no I2C chip is configured ({config.loadcells.amplifier.upper()} load cells and "
            "no IMU): nothing to scan"
        )
    try:
        rows = scan_bus(bus, mux_address(config))
    finally:
        bus.close()
    name = f"/dev/i2c-{config.station.i2c_bus}" + (
        " (emulated)" if config.station.hardware == "sim" else ""
    )
    missing = missing_chips(config, rows)
    if args.json:
        print(json.dumps({"bus": name, "found": rows, "missing": missing}, indent=2))
    else:
        print(format_scan(rows, missing, name))
    return 0 if rows and not missing else 1


def _export(args) -> int:
    from station.results.service import Results
    from station.runtime.core_config import load_config
    from station.storage.database import Storage

    config = load_config(args.config)
    db_path = config.station.data_dir / "station.db"
    if not db_path.exists():
        raise StationError(f"no database at {db_path}: check [station] data_dir")
    storage = Storage(db_path)
    try:
        name, text = Results.export_from(storage, args.trial_id)
    finally:
        storage.close()
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out} ({name})", file=sys.stderr)
    return 0


def _drills(args) -> int:
    from drills.catalog import DRILLS

    catalog = [cls.describe() for cls in DRILLS.values()]
    if args.json:
        print(json.dumps(catalog, indent=2))
    else:
        for drill in catalog:
            print(f"{drill['name']}: {drill['summary']}")
            for p in drill["params"]:
                if "choices" in p:
                    kind = f"one of {', '.join(p['choices'])}; default {p['default']}"
                else:
                    kind = f"{p['unit']}, default {p['default']}, {p['minimum']}-{p['maximum']}"
                print(f"  {p['name']} ({kind}): {p['help']}")
    return 0
