"""The technician's pages (diagnostics, the calibration wizard, recent log lines, the effective
configuration) and their JSON API under /api/v1/technician; technicians only.

The wizard is the station's (``station.calibration_wizard``: the core's, which reads the load
cells' samples, driven over its socket from the panel process); its steps are the command-line
wizard's, run on the running station.
"""

import re
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from station.config import ConfigError, parse_config
from station.errors import ConflictError, StationError
from station.runtime.logs import RECENT_LINES
from station.technician.diagnostics import diagnostics as station_diagnostics
from webpanel.api import ApiError, api, json_body, station
from webpanel.audit_trail import audit
from webpanel.auth import technician_required

technician = Blueprint("technician", __name__, url_prefix="/technician")

LOG_LEVELS = {"DEBUG": 7, "INFO": 6, "WARNING": 4, "ERROR": 3}  # and worse: syslog priorities
RESOLUTION_LIMIT = 200  # characters of what a technician did about a conflict
SYNC_STATES = {  # station.hub.agent's states, in the reader's words
    "off": _l("no hub configured"),
    "starting": _l("starting"),
    "synced": _l("in step with the hub"),
    "pending": _l("changes waiting to be sent"),
    "offline": _l("hub unreachable: recording goes on, changes wait here"),
    "error": _l("sync error: see the log"),
}
SENSITIVE = re.compile(r"password|secret|token", re.IGNORECASE)  # never shown, even here


def wizard():
    """The station's calibration wizard."""
    return station().calibration_wizard


# --- pages -----------------------------------------------------------------------------------
@technician.get("")
@technician_required
def diagnostics():
    """Diagnostics: devices, loop timing, disk, temperature, versions; refreshed by the page."""
    return render_template("technician_diagnostics.html", section="diagnostics")


@technician.get("/calibration")
@technician_required
def calibration():
    """The calibration wizard and the stored calibrations."""
    return render_template("technician_calibration.html", section="calibration")


@technician.get("/logs")
@technician_required
def logs():
    """Recent log lines, filtered by level (``?level=WARNING`` shows warnings and worse)."""
    level = request.args.get("level", "INFO")
    if level not in LOG_LEVELS:
        level = "INFO"
    return render_template(
        "technician_logs.html", section="logs", levels=LOG_LEVELS, level=level, **log_lines(level)
    )


@technician.get("/config")
@technician_required
def config():
    """The effective configuration: every option's value and whether it is the default."""
    cfg = station().config
    return render_template(
        "technician_config.html",
        section="config",
        source=cfg.source,
        sections=config_sections(cfg.as_dict(), cfg.amplifiers),
    )


@technician.get("/hub")
@technician_required
def hub():
    """The clinic hub: this station's sync, the clinic's stations and the open conflicts (each
    by its record's kind and id and what happened, which can name a patient's clinic code:
    audited, like the patient list)."""
    svc = station()
    fleet = svc.sync_agent.fleet() if svc.sync_agent is not None else None
    audit("hub-conflicts-listed", "clinic hub", f"{len((fleet or {}).get('conflicts', []))} shown")
    return render_template(
        "technician_hub.html",
        section="hub",
        sync=svc.sync_status(),
        fleet=fleet,
        states=SYNC_STATES,
        resolution_limit=RESOLUTION_LIMIT,
    )


@technician.post("/hub/conflicts/<int:conflict_id>/resolved")
@technician_required
def resolve_conflict(conflict_id: int):
    """Mark a conflict resolved at the hub, with what the technician did about it."""
    if conflict_id >= 2**63:  # beyond the hub's bigint ids: no such conflict
        abort(404)
    svc = station()
    note = " ".join(request.form.get("note", "").split())
    if svc.sync_agent is None:
        flash(gettext("No clinic hub is configured: there are no conflicts to resolve."))
    elif not note or len(note) > RESOLUTION_LIMIT:
        flash(
            gettext(
                "Say in up to %(limit)d characters what was done about conflict %(id)d.",
                limit=RESOLUTION_LIMIT,
                id=conflict_id,
            )
        )
    else:
        try:
            done = svc.sync_agent.resolve(conflict_id, current_user.username, note)
        except StationError as exc:
            flash(gettext("The clinic hub could not be reached: %(error)s", error=str(exc)))
        else:
            if done:
                audit("hub-conflict-resolved", f"conflict {conflict_id}", note)
                flash(gettext("Conflict %(id)d marked resolved.", id=conflict_id))
            else:
                flash(
                    gettext(
                        "Conflict %(id)d is not open: resolved already, or no such one.",
                        id=conflict_id,
                    )
                )
    return redirect(url_for("technician.hub"), code=303)


# --- what the pages show ---------------------------------------------------------------------
def log_lines(level: str, n: int = 200) -> dict:
    """The newest ``n`` log lines at ``level`` or worse, oldest first, and where they are from."""
    recent = station().log_lines(RECENT_LINES)
    worst = LOG_LEVELS[level]
    lines = [line for line in recent["lines"] if line["priority"] <= worst]
    return {"source": recent["source"], "lines": lines[-n:]}


def config_sections(values: dict, amplifiers) -> list[dict]:
    """``[{"section", "options": [{"name", "value", "default", "hidden"}]}]`` of the effective
    configuration ``values`` (``Config.as_dict()``, read against ``amplifiers``: its
    ``Config.amplifiers``); a secret's value is hidden."""
    return [
        {
            "section": section,
            "options": [
                {
                    "name": name,
                    "value": shown_value(name, value),
                    "default": _is_default(values, section, name, amplifiers),
                    "hidden": bool(SENSITIVE.search(name)),
                }
                for name, value in options.items()
            ],
        }
        for section, options in values.items()
    ]


def shown_value(name: str, value):
    """The value of option ``name`` as the page shows it; None for a secret (an option whose
    name says password, secret or token)."""
    return None if SENSITIVE.search(name) else _plain(value)


def _plain(value):
    """A config value as TOML would give it: paths as text, tuples as lists."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _is_default(values: dict, section: str, name: str, amplifiers) -> bool:
    """True when the station would have the same value with the option left out of its config
    (this also covers defaults derived from other options, such as the amplifier's rate)."""
    without = {
        s: {
            k: _plain(v)
            for k, v in options.items()
            if v is not None and not (s == section and k == name)
        }
        for s, options in values.items()
    }
    try:
        config = parse_config(without, amplifiers=amplifiers)
        return config.as_dict()[section][name] == values[section][name]
    except ConfigError:  # the option is needed by another one: it was set
        return False


def calibration_summary(record: dict | None) -> dict | None:
    """A stored calibration in a line: who, when, worst linearity residual, COP correction."""
    if record is None:
        return None
    corners = ((record.get("residuals") or {}).get("corners")) or {}
    cop = record.get("cop_correction")
    return {
        "id": record["id"],
        "technician": record["technician"],
        "created_at": record["created_at"],
        "active": bool(record["active"]),
        "note": record.get("note") or "",
        "max_residual_pct": max((c["max_residual_pct"] for c in corners.values()), default=None),
        "cop_rmse_mm": None if cop is None else cop["rmse_after_mm"],
    }


# --- API -------------------------------------------------------------------------------------
@api.errorhandler(ConflictError)
def _wizard_state(exc: ConflictError):
    return jsonify(error={"code": "conflict", "message": str(exc)}), 409


@api.get("/technician/diagnostics")
@technician_required
def technician_diagnostics():
    """Diagnostics of the running station, as the technician's page shows them.

    Each device's state, measured rate, fault counts and last error; the control loop's rate,
    late ticks and lateness (jitter) in ms; disk space of the data directory; the CPU
    temperature in °C (null where the machine reports none); software and database schema
    versions; the calibration in use; who keeps drills off the platform, if anyone."""
    svc = station()
    out = station_diagnostics(svc)
    out["schema_version"] = {"current": svc.schema_version, "latest": svc.latest_schema_version}
    out["simulated"] = svc.simulated
    out["active_calibration"] = calibration_summary(svc.calibrations.active())
    out["drill"] = svc.drill_status()
    out["platform_holder"] = svc.platform_holder()
    return jsonify(out)


@api.get("/technician/logs")
@technician_required
def technician_logs():
    """Recent log lines, oldest first.

    ``?level=`` DEBUG, INFO (default), WARNING or ERROR keeps that level and worse; ``?n=`` the
    newest n lines (1 to 500, default 200). ``source`` says where they come from: ``journal``
    (under systemd, across restarts), ``memory`` (this run) or null."""
    level = request.args.get("level", "INFO")
    if level not in LOG_LEVELS:
        choices = ", ".join(LOG_LEVELS)
        raise ApiError(
            400, "invalid", gettext("level must be one of %(choices)s", choices=choices), "level"
        )
    n = request.args.get("n", "200")
    if not n.isdigit() or not 1 <= int(n) <= RECENT_LINES:
        raise ApiError(
            400,
            "invalid",
            gettext("n must be a whole number from 1 to %(most)d", most=RECENT_LINES),
            "n",
        )
    return jsonify(level=level, **log_lines(level, int(n)))


@api.get("/technician/config")
@technician_required
def technician_config():
    """The effective configuration: every section and option, its value and whether it is the
    default (a secret's value is hidden)."""
    cfg = station().config
    source = None if cfg.source is None else str(cfg.source)
    return jsonify(source=source, sections=config_sections(cfg.as_dict(), cfg.amplifiers))


@api.get("/technician/calibrations")
@technician_required
def calibration_list():
    """The stored calibrations, newest first, the active one marked."""
    records = station().calibrations.history()
    return jsonify(calibrations=[calibration_summary(r) for r in records])


@api.get("/technician/calibration")
@technician_required
def calibration_state():
    """The calibration wizard: its steps and results, and the live load on the platform.

    ``open`` is false when no wizard is open; ``notice`` then says if the last one closed by
    itself (15 min without a step)."""
    return jsonify(wizard().state())


@api.post("/technician/calibration")
@technician_required
def calibration_start():
    """Open the calibration wizard (or, with ``mode`` = check, only the known-mass check).

    No drill may be running (409), and none can start while the wizard is open. Steps: the
    empty platform, each of ``masses_kg`` over each corner's cell, with ``cop_positions`` the
    largest mass at five positions; after saving, the check with ``check_mass_kg``."""
    body = json_body()
    mode = body.get("mode", "calibrate")
    if mode not in ("calibrate", "check"):
        raise ApiError(400, "invalid", gettext("mode must be calibrate or check"), "mode")
    cop_positions = body.get("cop_positions", False)
    if not isinstance(cop_positions, bool):
        raise ApiError(
            400, "invalid", gettext("cop_positions must be true or false"), "cop_positions"
        )
    settings = {k: body[k] for k in ("masses_kg", "check_mass_kg", "seconds") if k in body}
    state = wizard().start(
        current_user.username, check_only=mode == "check", cop_positions=cop_positions, **settings
    )
    return jsonify(state), 201


@api.post("/technician/calibration/place")
@technician_required
def calibration_place():
    """Simulation only: put the current step's masses on the simulated platform.

    The simulated patient steps off first; on a real platform the technician places them."""
    return jsonify(wizard().place_simulated())


@api.post("/technician/calibration/measure")
@technician_required
def calibration_measure():
    """Measure the current step (about ``seconds`` + 0.5 s) and go on to the next.

    An implausible reading (a corner that did not respond, swapped wires) answers 400 saying
    what to check; the step can be measured again. After the last mass the fit is shown; after
    the check, PASS or FAIL with the error in N, % and kg."""
    return jsonify(wizard().measure())


@api.post("/technician/calibration/save")
@technician_required
def calibration_save():
    """Save the reviewed calibration as the active one, in use from now on; then the check.

    Stored with the technician's username, the residuals and the conditions it was made under;
    older calibrations are kept. Audited: every measurement after it depends on it."""
    state = wizard().save(current_user.username, json_body().get("note", ""))
    saved = state.get("saved") or {}
    audit("calibration-saved", f"calibration {saved.get('id')}", "active from now on")
    return jsonify(state)


@api.delete("/technician/calibration")
@technician_required
def calibration_close():
    """Close the wizard (an unsaved calibration is dropped); drills may start again."""
    return jsonify(wizard().close())
