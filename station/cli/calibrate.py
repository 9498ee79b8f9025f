"""``balance-station calibrate``: the technician's calibration wizard, on the Pi's chips or on
emulated ones.

The fit and its residuals are shown and, if the technician agrees, stored as the active
calibration. ``--check`` weighs one known mass with the calibration in use; ``--list`` shows the
stored ones. In simulation the wizard places the masses itself.
"""

from pathlib import Path

from sensing.calibration_fit import (
    STANDARD_GRAVITY_M_S2,
    CountsSummary,
    check_known_mass,
)
from sensing.frame import CORNERS
from station.calibration.platform import (
    CHECK_TOLERANCE_PCT,
    DEFAULT_MASSES_KG,
    MARKS,
    SIM_NOTE,
    CalibrationCancelled,
    CalibrationInputError,
    CalibrationResult,
    CalibrationSession,
    CalibrationStepError,
    calibration_conditions,
    calibration_in_use,
    cop_positions_mm,
    describe_position,
    geometry_from,
)


def _ask(ask, prompt: str) -> str:
    """The technician's answer; 'q' or end of input cancels the wizard."""
    try:
        answer = ask(prompt)
    except EOFError:
        raise CalibrationCancelled("input ended") from None
    if answer.strip().lower() in ("q", "quit"):
        raise CalibrationCancelled("quit at the prompt")
    return answer


def _step(ask, prompt: str, measure, place=None):
    """Prompt, then (in simulation) set the masses and measure; a failed measurement is
    explained and repeated when the technician presses Enter again."""
    while True:
        _ask(ask, prompt)
        if place is not None:
            place()
        try:
            return measure()
        except CalibrationStepError as exc:
            print(f"problem: {exc}")
            prompt = "Fix it and press Enter to measure again (q to quit): "


def _placer(platform, *masses: tuple[float, float, float]):
    """In simulation: a step that leaves exactly ``masses`` (kg, ML mm, AP mm) on the platform."""
    if platform is None:
        return None

    def place():
        platform.remove_masses()
        for mass_kg, ml_mm, ap_mm in masses:
            platform.place_mass(mass_kg, ml_mm, ap_mm)

    return place


def run_wizard(session: CalibrationSession, ask, masses_kg, cop_mass_kg=None, platform=None):
    """Walk the technician through tare, corner masses and (with ``cop_mass_kg``) COP positions;
    ``platform`` is the simulated platform, on which the wizard places the masses itself."""
    note = SIM_NOTE if platform is not None else ""
    tare = _step(
        ask, f"Clear the platform and press Enter{note}: ", session.measure_tare, _placer(platform)
    )
    print(_window_line("empty", tare.tare_counts, tare.noise_counts, tare.conversions))
    cells = session.geometry.cell_positions_mm.tolist()
    for index, (name, mark) in enumerate(zip(CORNERS, MARKS, strict=True)):
        for mass_kg in masses_kg:
            window = _step(
                ask,
                f"Place {mass_kg:g} kg over the {name} cell (the corner marked {mark}) and press "
                f"Enter{note}: ",
                lambda i=index, m=mass_kg: session.measure_corner(i, m),
                _placer(platform, (mass_kg, *cells[index])),
            )
            print(_window_line(f"{mark} {mass_kg:g} kg", *_fields(window)))
    if cop_mass_kg is not None:
        for ml_mm, ap_mm in cop_positions_mm(session.geometry):
            window = _step(
                ask,
                f"Place {cop_mass_kg:g} kg {describe_position(ml_mm, ap_mm)} and press "
                f"Enter{note}: ",
                lambda m=cop_mass_kg, x=ml_mm, y=ap_mm: session.measure_cop_position(m, x, y),
                _placer(platform, (cop_mass_kg, ml_mm, ap_mm)),
            )
            print(_window_line(f"COP {ml_mm:+g}/{ap_mm:+g} mm", *_fields(window)))
    if platform is not None:
        platform.remove_masses()
    return session.fit()


def _fields(window: CountsSummary):
    return window.mean_counts, window.noise_counts, window.conversions


def _window_line(label: str, means, noises, conversions) -> str:
    cells = ", ".join(
        f"{mark} {m:.0f} ± {s:.0f}" for mark, m, s in zip(MARKS, means, noises, strict=True)
    )
    return f"  {label:18s} counts {cells} ({min(conversions)}+ conversions per corner)"


def format_result(result: CalibrationResult) -> list[str]:
    """The fit as the technician sees it: per corner gain, tare noise and residuals; COP RMSE."""
    lines = ["Fit per corner (gain through the tare; residual = measured - known force):"]
    for name, fit, tare, noise, off in zip(
        CORNERS,
        result.gains,
        result.tare.tare_counts,
        result.tare.noise_counts,
        result.off_cell_pct,
        strict=True,
    ):
        residuals = ", ".join(
            f"{r:+.4f} N at {f:.1f} N" for r, f in zip(fit.residuals_n, fit.loads_n, strict=True)
        )
        lines += [
            f"  {name:12s} gain {fit.gain_n_per_count:.6e} N/count, tare {tare:.0f} counts, "
            f"noise {noise * fit.gain_n_per_count:.3f} N, intercept {fit.intercept_n:+.3f} N",
            f"  {'':12s} residuals {residuals}",
            f"  {'':12s} max {fit.max_residual_n:.4f} N = {fit.max_residual_pct:.4f}% of the "
            f"largest load ({'OK' if fit.linear else 'FAIL'}, limit {fit.linearity_limit_pct}%); "
            f"off-cell share up to {max(abs(v) for v in off):.2f}%",
        ]
    if result.cop is not None:
        cop = result.cop
        lines.append(
            f"COP correction from {cop.positions} positions: RMSE {cop.rmse_before_mm:.2f} mm "
            f"before, {cop.rmse_after_mm:.2f} mm after"
            + (
                " (three positions fit exactly: measure more to judge it)"
                if cop.positions == 3
                else ""
            )
        )
    return lines


# --- the command line ------------------------------------------------------------------------
def add_calibrate_parser(subparsers) -> None:
    """The ``calibrate`` subcommand and its options."""
    p = subparsers.add_parser(
        "calibrate",
        help="calibrate the platform with known masses (stop the station service first)",
    )
    p.add_argument("--technician", help="who calibrates (stored with the calibration)")
    p.add_argument("--config", type=Path, help="TOML config (default: see README)")
    p.add_argument(
        "--masses-kg",
        default=",".join(f"{m:g}" for m in DEFAULT_MASSES_KG),
        help="known masses placed over each cell, comma-separated (at least 3 different)",
    )
    p.add_argument(
        "--cop-positions",
        action="store_true",
        help="also place the largest mass at 5 known positions for a COP correction",
    )
    p.add_argument("--seconds", type=float, default=2.0, help="measurement window per step, s")
    p.add_argument("--note", default="", help="a note stored with the calibration")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="weigh one known mass (--mass-kg)")
    mode.add_argument("--list", action="store_true", help="list the stored calibrations")
    p.add_argument("--mass-kg", type=float, default=20.0, help="known mass of --check, kg")


def run_calibrate(args, ask=input) -> int:
    """Run ``calibrate`` as parsed from ``args``, reading answers with ``ask``: 0 when the
    calibration was saved or the check passed, 1 when not."""
    from station.runtime.core_config import load_config

    if not 0.5 <= args.seconds <= 60:
        raise CalibrationInputError(f"--seconds {args.seconds}: choose 0.5 to 60 s")
    # the simulated patient stays off the platform: only the test masses load it
    config = load_config(args.config, {"sim": {"step_on_at_s": 1e6}})
    try:
        if args.list:
            return _list(config)
        if args.check:
            return _check(config, args, ask)
        return _calibrate(config, args, ask)
    except CalibrationCancelled as exc:
        print(f"calibration cancelled ({exc}): nothing saved")
        return 1


def parse_masses(text: str) -> tuple[float, ...]:
    """Masses in kg from '5,10,20': positive, at least three different."""
    try:
        masses = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise CalibrationInputError(
            f"--masses-kg {text!r}: give masses in kg separated by commas, e.g. 5,10,20"
        ) from None
    if not all(m > 0 for m in masses) or len(set(masses)) < 3:
        raise CalibrationInputError(
            f"--masses-kg {text!r}: give at least 3 different positive masses, e.g. 5,10,20"
        )
    return masses


def _storage(config):
    from station.config import prepare_data_dir
    from station.storage.database import Storage

    return Storage(prepare_data_dir(config) / "station.db")


def _session(config, hardware, clock, seconds: float) -> CalibrationSession:
    return CalibrationSession(
        hardware.sensors["loadcells"],
        clock,
        geometry_from(config).platform_frame(),
        poll_s=0.5 / config.loadcells.rate_sps,  # twice per conversion: none is missed
        seconds=seconds,
    )


def _hardware(config):
    """The station's devices on a virtual clock in simulation (nothing waits in real time), on
    the monotonic clock on the Pi; the simulated platform, to place masses on, or None."""
    from station.clock import MonotonicClock, VirtualClock
    from station.runtime.hardware import build_hardware

    simulated = config.station.hardware == "sim"
    clock = VirtualClock() if simulated else MonotonicClock()
    hardware = build_hardware(config, clock)
    return hardware, clock, hardware.emulated["platform"] if simulated else None


def _calibrate(config, args, ask) -> int:
    if not args.technician or not args.technician.strip():
        raise CalibrationInputError(
            "calibrate needs --technician NAME: who calibrated is stored with the calibration"
        )
    masses = parse_masses(args.masses_kg)
    hardware, clock, platform = _hardware(config)
    try:
        if platform is None:
            print("Stop the station service first (it reads the same chips). 'q' quits.")
        session = _session(config, hardware, clock, args.seconds)
        result = run_wizard(
            session, ask, masses, max(masses) if args.cop_positions else None, platform
        )
    finally:
        hardware.close()
    for line in format_result(result):
        print(line)
    problems = result.problems()
    for problem in problems:
        print(f"problem: {problem}")
    question = "Save it anyway" if problems else "Save it"
    if _ask(ask, f"{question} as the active calibration? [y/N]: ").strip().lower() not in (
        "y",
        "yes",
    ):
        print("not saved")
        return 1
    conditions = {
        **calibration_conditions(config),
        "masses_kg": list(masses),
        "seconds": args.seconds,
    }
    storage = _storage(config)
    try:
        saved = storage.save_calibration(
            result.record(args.technician.strip(), conditions, args.note)
        )
    finally:
        storage.close()
    print(
        f"saved calibration #{saved['id']} by {saved['technician']} as the active one "
        f"({storage.path}); the station uses it from its next start"
    )
    return 0


def _check(config, args, ask) -> int:
    if not args.mass_kg > 0:
        raise CalibrationInputError(f"--mass-kg {args.mass_kg}: give the known mass in kg")
    storage = _storage(config)
    try:
        record = storage.active_calibration()
    finally:
        storage.close()
    calibration, _, where = calibration_in_use(config, record)
    print(f"checking {where}")
    hardware, clock, platform = _hardware(config)
    try:
        session = _session(config, hardware, clock, args.seconds)
        note = SIM_NOTE if platform is not None else ""
        empty = _step(
            ask, f"Clear the platform and press Enter{note}: ", session.measure, _placer(platform)
        )
        zero_n = sum(calibration.forces_n(empty.mean_counts))
        print(f"  empty platform reads {zero_n:+.3f} N")
        loaded = _step(
            ask,
            f"Place {args.mass_kg:g} kg anywhere on the platform (near the centre is best) and "
            f"press Enter{note}: ",
            session.measure,
            _placer(platform, (args.mass_kg, 0.0, 0.0)),
        )
    finally:
        hardware.close()
    measured_n = sum(calibration.forces_n(loaded.mean_counts))
    check = check_known_mass(measured_n, args.mass_kg * STANDARD_GRAVITY_M_S2, CHECK_TOLERANCE_PCT)
    print(
        f"{'PASS' if check.passed else 'FAIL'}: {args.mass_kg:g} kg reads "
        f"{measured_n / STANDARD_GRAVITY_M_S2:.3f} kg ({measured_n:.2f} N): error "
        f"{check.error_n:+.2f} N = {check.error_pct:+.2f}% = {check.error_kg:+.3f} kg "
        f"(tolerance {check.tolerance_pct:g}%)"
    )
    if not check.passed:
        print(
            "Check that nothing touches the plate and the mass is what it says; if the empty "
            "platform read far from 0 N the tare has drifted. Then calibrate again."
        )
    return 0 if check.passed else 1


def _list(config) -> int:
    storage = _storage(config)
    try:
        records = storage.list_calibrations()
    finally:
        storage.close()
    if not records:
        print(f"no calibrations stored in {storage.path}")
    for rec in records:
        corners = ((rec["residuals"] or {}).get("corners")) or {}
        worst = max((c["max_residual_pct"] for c in corners.values()), default=None)
        cop = rec["cop_correction"]
        print(
            f"#{rec['id']:<4d} {rec['created_at']}  {rec['technician']:16s} "
            f"{'active' if rec['active'] else '      '}  "
            + ("linearity n/a" if worst is None else f"linearity max {worst:.3f}%")
            + ("" if cop is None else f", COP RMSE {cop['rmse_after_mm']:.2f} mm")
            + (f"  {rec['note']}" if rec["note"] else "")
        )
    return 0
