"""JSON API under /api/v1: health, patients, drills, trials, stop, live stream (SSE).

Every error answers ``{"error": {"code", "message"[, "field"]}}`` with a fitting HTTP status,
also an unexpected one (500, logged with its traceback) and a body over the size limit (413).
Every create, change and view of a patient, program or trial is audited
(``webpanel.audit_trail``).
In the panel process ``station()`` is a ``PanelStation``: what runs on the core is asked over
its socket, and a core that does not answer is a 503 ``core_unreachable``.
"""

import logging
import math
import time

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from station.errors import (
    BusyError,
    CoreFailedError,
    CoreUnavailableError,
    NotFoundError,
    StationError,
    StorageError,
    error_words,
)
from station.records.patients import FIELDS as PATIENT_FIELDS
from station.records.patients import PATIENT_PAGE
from station.results.conventions import analysis_options
from station.results.service import STOPPED_FOR_PAIN
from webpanel.audit_trail import audit, changes, viewed
from webpanel.auth import technician_required
from webpanel.language import page_words

api = Blueprint("api", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)

PATIENT_VALUES_LOGGED = ("code", "birth_date", "sex", "affected_side", "height_cm", "weight_kg")
"""Patient fields whose old and new values an edit's audit line gives (not name and note)."""
PROGRAM_FIELDS = ("name", "steps", "rules")
MAX_PATIENT_PAGE = 200
LIVE_MAX_S = 3600.0
LIVE_SESSION_CHECK_S = 1.0  # how often a live view asks whether its session is still open
STOP_PATH = "/api/v1/stop"  # served by a thread of its own (station.runtime.server.PanelServer)


def station():
    return current_app.extensions["station"]


class ApiError(Exception):
    """An error answered as JSON with ``status``."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


@api.errorhandler(ApiError)
def _api_error(exc: ApiError):
    body = {"code": exc.code, "message": exc.message}
    if exc.field:
        body["field"] = exc.field
    return jsonify(error=body), exc.status


@api.errorhandler(StationError)
def _station_error(exc: StationError):
    """A station error with its status; a refusal of what the caller sent (a record's field)
    in the account's language (``station.errors.error_words``)."""
    if isinstance(exc, NotFoundError):
        return _api_error(ApiError(404, "not_found", str(exc)))
    if isinstance(exc, BusyError):
        return _api_error(ApiError(409, "busy", str(exc)))
    if isinstance(exc, StorageError):  # the disk is full or failing: nothing the caller did
        return _api_error(ApiError(503, "storage_failed", str(exc)))
    if isinstance(exc, CoreUnavailableError):  # stopped, restarting or hung: not the caller
        return _api_error(ApiError(503, "core_unreachable", str(exc)))
    if isinstance(exc, CoreFailedError):  # a bug in the core: its log has the traceback
        return _api_error(ApiError(500, "internal", str(exc)))
    field = getattr(exc, "field", None)
    return _api_error(ApiError(400, "invalid", error_words(exc, page_words()), field))


HTTP_CODES = {
    400: "invalid",
    401: "login_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "busy",
    413: "too_large",
    429: "too_many_requests",
}


@api.errorhandler(Exception)
def _unexpected(exc: Exception):
    """HTTP errors raised inside an API route (a body over the size limit, a bad CSRF token)
    keep their status; anything else is a bug: logged with its traceback, answered as a 500
    that says what to check and leaks nothing."""
    if isinstance(exc, RequestEntityTooLarge):
        limit_kib = current_app.config["MAX_CONTENT_LENGTH"] / 1024
        message = f"the request body is over the station's limit of {limit_kib:g} KiB"
        return _api_error(ApiError(413, HTTP_CODES[413], message))
    if isinstance(exc, HTTPException):
        code = HTTP_CODES.get(exc.code, "http_error")
        return _api_error(ApiError(exc.code, code, exc.description or exc.name))
    log.exception("unexpected error in %s %s", request.method, request.path)
    return _api_error(
        ApiError(500, "internal", "unexpected error in the station: see its log for details")
    )


def http_error(exc):
    """Routing errors (404, 405) under /api answer JSON like every other API error."""
    if not request.path.startswith(api.url_prefix):
        return exc
    if exc.code == 404:
        return _api_error(ApiError(404, "not_found", f"no API route {request.path}"))
    return _api_error(ApiError(exc.code, "method_not_allowed", f"{request.method} not allowed"))


def json_body() -> dict:
    """The request's JSON object; 400 saying what is wrong with it (not JSON, nested too
    deeply: ``webpanel.limits.NestingLimitedJSON``, not an object)."""
    body = None
    if request.is_json:
        try:
            body = current_app.json.loads(request.get_data(cache=True))
        except ValueError as exc:
            raise ApiError(400, "invalid", f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(
            400, "invalid", "expected a JSON object body (Content-Type: application/json)"
        )
    return body


@api.get("/health")
def health():
    """Loop rate, late ticks and device states; no login needed (for monitoring).

    ``core`` is the core process (pid, start, priorities; in the two-process daemon also
    ``state``, ``since``, ``restarted_at``), ``panel`` the panel process, ``sync`` the clinic
    hub's sync (``state`` "off" without a hub; else synced, pending, offline or error, the
    changes not yet at the hub, the last contact and error). While the core does
    not answer: 503 with ``status`` "unreachable", ``core`` saying since when, and
    ``message``."""
    svc = station()
    try:
        status = svc.status()
    except CoreUnavailableError as exc:
        body = {"status": "unreachable", "version": svc.version, "message": str(exc)}
        return jsonify({**body, "core": svc.core_state(), "sync": svc.sync_status()}), 503
    devices = status["devices"]
    simulation = ("simulated_person", "virtual_patient")  # not devices
    ok = all(d.get("state") == "ready" for k, d in devices.items() if k not in simulation)
    processes = {k: status[k] for k in ("core", "panel") if k in status}
    return jsonify(
        status="ok" if ok else "degraded",
        version=status["version"],
        hardware=status["hardware"],
        calibration=status["calibration"],
        loop=status["loop"],
        devices=devices,
        sync=svc.sync_status(),
        **processes,
    )


@api.get("/status")
def status():
    """Everything /health shows, plus the running drill and the number of live viewers."""
    return jsonify(station().status())


@api.get("/patients")
def list_patients():
    """A page of patients by name: ``?q=`` keeps those whose name or code contains it (any
    case); ``?limit=`` how many (1-200, default 50); ``?after=`` the ``next`` of the page
    before (``next`` is null on the last page). The panel searches as you type with it."""
    query = request.args.get("q", "")
    page = station().records.list_patients(
        query, _whole_arg("limit", PATIENT_PAGE, 1, MAX_PATIENT_PAGE), _whole_arg("after")
    )
    audit_listed(query, page["patients"])
    return jsonify(page)


def _whole_arg(name: str, default=None, low: int = 0, high: int = 2**63 - 1):
    """The query argument ``name`` as a whole number from ``low`` to ``high``; 400 naming it
    otherwise."""
    raw = request.args.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError(400, "invalid", f"{name} must be a whole number from {low} to {high}", name)
    return int(raw)


def audit_listed(query: str, patients: list[dict]) -> None:
    """Audit a list of patients shown: the search and which records it showed."""
    shown = ", ".join(str(p["id"]) for p in patients) or "none"
    audit("patients-listed", "", f"search {query!r}: patients {shown}")


@api.post("/patients")
def create_patient():
    """Add a patient; a field out of range answers 400 naming it in ``field``."""
    patient = station().records.create_patient(json_body())
    audit_patient_created(patient)
    return jsonify(patient), 201


def audit_patient_created(patient: dict) -> None:
    """Audit a new patient record, naming the fields it was given."""
    given = [field for field in PATIENT_FIELDS if patient.get(field) not in (None, "")]
    audit("patient-created", f"patient {patient['id']}", "with " + ", ".join(given))


def audit_patient_changed(before: dict, after: dict) -> None:
    """Audit a patient's edit, naming what changed (values of the coded fields only)."""
    detail = changes(before, after, PATIENT_FIELDS, PATIENT_VALUES_LOGGED)
    audit("patient-changed", f"patient {after['id']}", detail)


@api.get("/patients/<int:patient_id>")
def get_patient(patient_id: int):
    """One patient's record."""
    patient = station().records.get_patient(patient_id)
    viewed("patient", patient_id)
    return jsonify(patient)


@api.put("/patients/<int:patient_id>")
def update_patient(patient_id: int):
    """Replace a patient's details; the body is the whole record (fields left out are cleared).

    Validated like a new patient: a field out of range answers 400 naming it in ``field``."""
    before = station().records.get_patient(patient_id)
    after = station().records.update_patient(patient_id, json_body())
    audit_patient_changed(before, after)
    return jsonify(after)


@api.get("/patients/<int:patient_id>/trials")
def patient_trials(patient_id: int):
    """A patient's trials, newest first, with their results (without raw samples)."""
    trials = station().results.list_trials(patient_id)
    viewed("patient", patient_id, "trials")
    return jsonify(trials=trials)


@api.get("/patients/<int:patient_id>/programs")
def patient_programs(patient_id: int):
    """A patient's programs, oldest first, each with the step "Start next step" runs."""
    programs = station().records.list_programs(patient_id)
    viewed("patient", patient_id, "programs")
    return jsonify(programs=programs)


@api.post("/patients/<int:patient_id>/programs")
def create_program(patient_id: int):
    """Save a program: ``{"name", "steps": [{"drill", "params"}], "rules": [...]}``."""
    program = station().records.create_program(patient_id, json_body())
    steps = len(program["steps"])
    audit("program-created", f"program {program['id']}", f"patient {patient_id}, {steps} steps")
    return jsonify(program), 201


@api.get("/programs/<int:program_id>")
def get_program(program_id: int):
    """One program with its steps, rules, progression history and next step."""
    program = station().records.get_program(program_id)
    viewed("program", program_id, f"patient {program['patient_id']}")
    return jsonify(program)


@api.put("/programs/<int:program_id>")
def update_program(program_id: int):
    """Replace a program's name, steps and rules; its progression history is kept."""
    before = station().records.get_program(program_id)
    after = station().records.update_program(program_id, json_body())
    audit("program-changed", f"program {program_id}", changes(before, after, PROGRAM_FIELDS))
    return jsonify(after)


@api.post("/programs/<int:program_id>/steps/<int:step>/start")
def start_program_step(program_id: int, step: int):
    """Start a program step's drill with the step's current (possibly progressed) params."""
    started = station().start_program_step(program_id, step)
    audit_trial_started(started, f"program {program_id} step {step}")
    return jsonify(started), 201


def audit_trial_started(started: dict, detail: str) -> None:
    """Audit a trial's start (``started``: what ``start_drill`` answers)."""
    audit("trial-started", f"trial {started['trial_id']}", detail)


@api.get("/drills")
def drills():
    """The drill catalog: each drill's parameters with unit, range and a one-line explanation."""
    return jsonify(drills=station().results.drills())


@api.post("/trials")
def start_trial():
    """Start a drill for a patient; 409 while another drill runs.

    A bad parameter answers 400 with ``field`` = ``params.<name>``."""
    body = json_body()
    patient_id = body.get("patient_id")
    if not isinstance(patient_id, int) or isinstance(patient_id, bool):
        raise ApiError(400, "invalid", "patient_id must be an integer", "patient_id")
    drill = body.get("drill")
    if not isinstance(drill, str):
        raise ApiError(400, "invalid", "drill must be a drill name", "drill")
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise ApiError(400, "invalid", "params must be an object", "params")
    started = station().start_drill(patient_id, drill, params)
    audit_trial_started(started, f"{drill} for patient {patient_id}")
    return jsonify(started), 201


@api.post("/stop")
def stop():
    """Stop the running drill (if any): stored as aborted with its data kept. With
    ``{"for": "pain"}`` its reason is "stopped for pain" (where it hurts is added afterwards,
    ``POST /trials/{id}/pain``); any other body, or none, is a plain stop: a STOP is never
    refused for what came with it.

    It has a lane of its own all the way: a panel thread no other request or live view can
    take, and its own connection and thread in the core. Audited once the drill has stopped."""
    body = request.get_json(silent=True)
    pain = isinstance(body, dict) and body.get("for") == "pain"
    trial_id = station().stop_drill(STOPPED_FOR_PAIN) if pain else station().stop_drill()
    if trial_id is not None:
        audit("trial-stopped", f"trial {trial_id}", "STOP for pain" if pain else "STOP")
    return jsonify(stopped=True, trial_id=trial_id, for_pain=pain)


@api.post("/trials/<trial_id>/pain")
def note_pain_site(trial_id: str):
    """Where it hurts, on a trial stopped for pain (``{"where": "left knee"}``)."""
    where = json_body().get("where")
    trial = station().results.note_pain_site(trial_id, where)
    audit("trial-pain-site", f"trial {trial_id}", trial["reason"])
    return jsonify(trial)


@api.post("/drill/failed-attempt")
def failed_attempt():
    """Fail the attempt under way of the running drill (an mCTSIB condition, a single-leg
    trial) for what the therapist saw and the platform cannot see: eyes opened, arms
    uncrossed, a hand on the rail. 409 when no drill with attempts runs."""
    drill = station().drill_status() or {}
    marked = station().mark_attempt_failed()
    if marked["marked"]:
        audit("trial-changed", f"trial {drill.get('trial_id')}", "attempt marked failed")
    return jsonify(marked)


@api.get("/trials/<trial_id>")
def get_trial(trial_id: str):
    """A trial's result, parameters, phase events and cue log (without raw samples)."""
    trial = station().results.get_trial(trial_id)
    viewed("trial", trial_id, f"patient {trial['patient_id']}")
    return jsonify(trial)


@api.get("/trials/<trial_id>/samples")
def trial_samples(trial_id: str):
    """The raw frames as columns (NaN COP, when nobody stood on, as null)."""
    columns = station().results.trial_sample_columns(trial_id)
    viewed("trial", trial_id, "raw samples")
    return jsonify(columns=columns, n=len(columns["t_s"]))


@api.get("/trials/<trial_id>/export.csv")
def export_trial(trial_id: str):
    """The trial's raw samples as CSV (the station's export format), as a download; audited."""
    name, text = station().results.export_trial(trial_id)
    audit("export", f"trial {trial_id}", f"samples CSV {name}")
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@api.get("/trials/<trial_id>/analyses")
def list_analyses(trial_id: str):
    """A trial's re-analyses under other conventions, oldest first."""
    analyses = station().results.list_analyses(trial_id)
    viewed("trial", trial_id, "re-analyses")
    return jsonify(analyses=analyses)


@api.post("/trials/<trial_id>/analyses")
def reanalyse(trial_id: str):
    """Score a stored trial again under other conventions; the original result is kept."""
    body = json_body()
    allowed = {"filter_hz", "filter_order", "resample_hz", "ellipse"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(400, "invalid", f"unknown option {unknown[0]}", unknown[0])
    for name in ("filter_hz", "resample_hz"):
        if body.get(name) is not None and not _is_number(body[name]):
            raise ApiError(400, "invalid", f"{name} must be a number", name)
    options = analysis_options(
        filter_hz=body.get("filter_hz"),
        filter_order=body.get("filter_order", 4),
        resample_hz=body.get("resample_hz"),
        ellipse=body.get("ellipse", "prediction"),
    )
    analysis = station().results.reanalyse(trial_id, options)
    audit("trial-reanalysed", f"trial {trial_id}", f"analysis {analysis['id']}")
    return jsonify(analysis), 201


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@api.post("/imu/zero")
@technician_required
def zero_imu():
    """Make the IMU's current attitude the zero of pitch and roll."""
    return jsonify(station().zero_tilt())


@api.post("/sim/person")
def sim_person():
    """Simulation only: the simulated patient steps on or off the platform now."""
    on = json_body().get("on_platform")
    if not isinstance(on, bool):
        raise ApiError(400, "invalid", "on_platform must be true or false", "on_platform")
    station().set_simulated_person(on)
    return jsonify(on_platform=on)


@api.post("/sim/fault")
@technician_required
def sim_fault():
    """Simulation only: inject a fault into an emulated chip (for demos and the fault suite)."""
    body = json_body()
    for name in ("device", "fault"):
        if not isinstance(body.get(name), str):
            raise ApiError(400, "invalid", f"{name} must be a string", name)
    station().inject_simulated_fault(body["device"], body["fault"])
    return jsonify(device=body["device"], fault=body["fault"])


@api.get("/live")
def live():
    """Server-sent events: every ~50 ms the frames since the last event and the drill state.

    Each account may keep ``[panel] live_streams_per_account`` open, the panel
    ``live_streams`` in all; beyond, 503 ``too_many_streams``. While the core does not answer,
    an event a second carries ``core`` (its state) and no frames. The stream ends within a
    second of its session's end (a logout, the account deactivated, a new password)."""
    slot = current_app.extensions["live_streams"].take(current_user.id)
    sessions, token = current_app.extensions["accounts"].sessions, current_user.token
    stream = station().live_stream()
    audit("live-viewed", "", "the running drill's live view")

    def events():
        deadline = time.monotonic() + LIVE_MAX_S
        checked = time.monotonic()
        try:
            yield "retry: 1000\n\n"
            for message in stream:
                yield f"data: {message}\n\n"
                now = time.monotonic()
                if now > deadline:
                    return
                if now - checked >= LIVE_SESSION_CHECK_S:
                    if not sessions.is_open(token):
                        return
                    checked = now
        finally:
            stream.close()
            slot.release()

    response = Response(
        events(),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    response.call_on_close(stream.close)  # also when the response never started
    response.call_on_close(slot.release)
    return response
