"""What the panel's calibration wizard asks for and shows: its steps (the command-line
wizard's, with where the simulation puts each mass) and the fit as a plain dict."""

from sensing.frame import CORNERS
from station.calibration.platform import (
    MARKS,
    CalibrationResult,
    cop_positions_mm,
    describe_position,
)


def calibration_steps(masses_kg, cop_mass_kg, geometry) -> list[dict]:
    """The calibration's steps: the empty platform, each mass over each corner's cell, then
    (with ``cop_mass_kg``) that mass at the five COP positions. ``masses`` are where the
    simulation puts them: (kg, ML mm, AP mm) from the platform centre."""
    steps = [
        _step("tare", "Empty platform", "Clear the platform: nothing on it, nobody touching it.")
    ]
    cells = geometry.cell_positions_mm.tolist()
    for index, (name, mark) in enumerate(zip(CORNERS, MARKS, strict=True)):
        for mass in masses_kg:
            steps.append(
                _step(
                    "corner",
                    f"{mark} {mass:g} kg",
                    f"Place {mass:g} kg over the {name} cell (the corner marked {mark}).",
                    [(mass, *cells[index])],
                    corner=index,
                    mass_kg=mass,
                )
            )
    if cop_mass_kg is not None:
        for ml_mm, ap_mm in cop_positions_mm(geometry):
            steps.append(
                _step(
                    "cop",
                    f"COP {ml_mm:+g} / {ap_mm:+g} mm",
                    f"Place {cop_mass_kg:g} kg {describe_position(ml_mm, ap_mm)}.",
                    [(cop_mass_kg, ml_mm, ap_mm)],
                    mass_kg=cop_mass_kg,
                    ml_mm=ml_mm,
                    ap_mm=ap_mm,
                )
            )
    return steps


def check_steps(mass_kg: float) -> list[dict]:
    """The check: the empty platform, then one known mass near the centre."""
    return [
        _step("check-empty", "Check: empty platform", "Clear the platform for the check."),
        _step(
            "check-mass",
            f"Check: {mass_kg:g} kg",
            f"Place {mass_kg:g} kg anywhere on the platform (near the centre is best).",
            [(mass_kg, 0.0, 0.0)],
            mass_kg=mass_kg,
        ),
    ]


def _step(kind, title, instruction, masses=(), **extra) -> dict:
    return {
        "kind": kind,
        "title": title,
        "instruction": instruction,
        "masses": list(masses),
        **extra,
        "result": None,
    }


def fit_summary(result: CalibrationResult) -> dict:
    """The fit as the technician judges it: per corner gain, tare, noise, residuals, linearity
    and off-cell share; the COP correction's error; the problems that make it doubtful."""
    corners = []
    for name, mark, fit, tare, noise, off in zip(
        CORNERS,
        MARKS,
        result.gains,
        result.tare.tare_counts,
        result.tare.noise_counts,
        result.off_cell_pct,
        strict=True,
    ):
        corners.append(
            {
                "corner": name,
                "mark": mark,
                "gain_n_per_count": fit.gain_n_per_count,
                "tare_counts": tare,
                "noise_n": noise * fit.gain_n_per_count,
                "intercept_n": fit.intercept_n,
                "residuals": [
                    {"load_n": load, "residual_n": r}
                    for load, r in zip(fit.loads_n, fit.residuals_n, strict=True)
                ],
                "max_residual_n": fit.max_residual_n,
                "max_residual_pct": fit.max_residual_pct,
                "linearity_limit_pct": fit.linearity_limit_pct,
                "linear": fit.linear,
                "off_cell_max_pct": max(abs(v) for v in off),
            }
        )
    cop = result.cop
    return {
        "corners": corners,
        "cop": None
        if cop is None
        else {
            "positions": cop.positions,
            "rmse_before_mm": cop.rmse_before_mm,
            "rmse_after_mm": cop.rmse_after_mm,
        },
        "problems": result.problems(),
    }
