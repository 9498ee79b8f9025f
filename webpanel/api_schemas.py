"""JSON Schemas of the API's bodies, for the OpenAPI document (``webpanel.openapi``).

``COMPONENTS`` are the shared schemas; ``BODIES`` says, per endpoint, what a route takes and
answers: ``request`` (a schema), ``status`` (the success status, 200 when left out),
``response`` (a schema) and ``media`` (when the answer is not JSON). Limits come from the
modules that enforce them, so the description cannot drift from the checks.
"""

from station.calibration import session as wizard
from station.i18n.catalog import LANGUAGES
from station.records.patients import CHOICES, NOTE_LIMIT, NUMBER_RANGES, TEXT_LIMITS
from station.records.programs import KINDS, MAX_NAME, MAX_STEPS
from station.results.conventions import ELLIPSES


def ref(name: str) -> dict:
    """A reference to the component schema ``name``."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    """``schema`` or null (JSON Schema 2020-12, as OpenAPI 3.1 uses)."""
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict, required: tuple[str, ...] = (), **extra) -> dict:
    """An object schema with ``properties``."""
    out = {"type": "object", "properties": properties, **extra}
    if required:
        out["required"] = list(required)
    return out


def list_of(key: str, item: dict) -> dict:
    """``{key: [item, ...]}``, the shape of every list the API answers."""
    return obj({key: {"type": "array", "items": item}}, (key,))


NUMBER = {"type": "number"}
INTEGER = {"type": "integer"}
TEXT = {"type": "string"}
ANY_OBJECT = {"type": "object"}

PATIENT_FIELDS = {
    "name": {**TEXT, "minLength": 1, "maxLength": TEXT_LIMITS["name"]},
    "code": nullable({**TEXT, "maxLength": TEXT_LIMITS["code"]}),
    "birth_date": nullable({**TEXT, "format": "date", "description": "age 0-120 years"}),
    **{field: nullable({**TEXT, "enum": list(choices)}) for field, choices in CHOICES.items()},
    **{
        field: nullable({**NUMBER, "minimum": low, "maximum": high})
        for field, (low, high) in NUMBER_RANGES.items()
    },
    "language": nullable(
        {**TEXT, "enum": list(LANGUAGES), "description": "what the patient hears and reads (en)"}
    ),
    "note": nullable({**TEXT, "maxLength": NOTE_LIMIT}),
}

STEP = obj(
    {"drill": TEXT, "params": {**ANY_OBJECT, "description": "the drill's parameters by name"}},
    ("drill",),
)
RULE = obj(
    {
        "step": {**INTEGER, "minimum": 0, "description": "index of the step the rule adjusts"},
        "metric": {**TEXT, "description": "result value read, e.g. hit_rate_pct"},
        "above": NUMBER,
        "below": NUMBER,
        "param": {**TEXT, "description": "numeric parameter of the step's drill"},
        "add": NUMBER,
        "multiply": NUMBER,
    },
    ("step", "metric", "param"),
    description="give exactly one of above or below, and one of add or multiply",
)
PROGRAM_INPUT = obj(
    {
        "name": {**TEXT, "minLength": 1, "maxLength": MAX_NAME},
        "steps": {"type": "array", "items": STEP, "minItems": 1, "maxItems": MAX_STEPS},
        "rules": {"type": "array", "items": RULE},
        "kind": {
            **TEXT,
            "enum": list(KINDS),
            "description": "program (the default) or evaluation: standard tests read in one "
            "report, without progression rules; fixed once created",
        },
    },
    ("name", "steps"),
    additionalProperties=False,
)

COMPONENTS = {
    "Error": obj(
        {
            "error": obj(
                {
                    "code": {**TEXT, "description": "machine-readable, e.g. invalid, not_found"},
                    "message": {**TEXT, "description": "what went wrong and what to check"},
                    "field": {**TEXT, "description": "the request field at fault, if one is"},
                },
                ("code", "message"),
            )
        },
        ("error",),
    ),
    "PatientInput": obj(PATIENT_FIELDS, ("name",), additionalProperties=False),
    "Patient": obj({"id": INTEGER, **PATIENT_FIELDS, "created_at": TEXT}, ("id", "name")),
    "ProgramInput": PROGRAM_INPUT,
    "Program": obj(
        {
            "id": INTEGER,
            "patient_id": INTEGER,
            **PROGRAM_INPUT["properties"],
            "history": {"type": "array", "items": ANY_OBJECT},
            "next_step": {**INTEGER, "description": "the step 'Start next step' runs"},
            "created_at": TEXT,
            "updated_at": TEXT,
        },
        ("id", "patient_id", "name", "steps", "rules", "history", "next_step"),
    ),
    "TrialStarted": obj({"trial_id": TEXT}, ("trial_id",)),
    "CalibrationWizard": obj(
        {
            "open": {"type": "boolean"},
            "phase": {**TEXT, "enum": ["calibrate", "review", "check", "done"]},
            "steps": {"type": "array", "items": ANY_OBJECT},
            "index": {**INTEGER, "description": "the current step"},
            "fit": nullable(ANY_OBJECT),
            "check": nullable(
                {**ANY_OBJECT, "description": "passed, error_n, error_pct, error_kg, ..."}
            ),
            "live": nullable(ANY_OBJECT),
        },
        ("open",),
    ),
    "Trial": obj(
        {
            "id": TEXT,
            "patient_id": INTEGER,
            "drill": TEXT,
            "state": {**TEXT, "description": "running, completed, aborted or interrupted"},
            "reason": nullable(TEXT),
            "params": ANY_OBJECT,
            "result": nullable(ANY_OBJECT),
            "started_at": TEXT,
            "duration_s": nullable(NUMBER),
        },
        ("id", "patient_id", "drill", "state"),
    ),
    "Analysis": obj(
        {
            "id": INTEGER,
            "trial_id": TEXT,
            "conventions": ANY_OBJECT,
            "metrics": ANY_OBJECT,
            "quality": ANY_OBJECT,
        },
        ("id", "trial_id"),
    ),
}

BODIES = {
    "api.list_patients": {
        "response": obj(
            {
                "patients": {"type": "array", "items": ref("Patient")},
                "next": nullable(
                    {**INTEGER, "description": "?after= for the next page; null on the last"}
                ),
            },
            ("patients", "next"),
        )
    },
    "api.create_patient": {
        "request": ref("PatientInput"),
        "status": 201,
        "response": ref("Patient"),
    },
    "api.get_patient": {"response": ref("Patient")},
    "api.update_patient": {"request": ref("PatientInput"), "response": ref("Patient")},
    "api.patient_trials": {"response": list_of("trials", ref("Trial"))},
    "api.patient_programs": {"response": list_of("programs", ref("Program"))},
    "api.create_program": {
        "request": ref("ProgramInput"),
        "status": 201,
        "response": ref("Program"),
    },
    "api.get_program": {"response": ref("Program")},
    "api.update_program": {"request": ref("ProgramInput"), "response": ref("Program")},
    "api.start_program_step": {"status": 201, "response": ref("TrialStarted")},
    "api.drills": {"response": list_of("drills", ANY_OBJECT)},
    "api.start_trial": {
        "request": obj(
            {"patient_id": INTEGER, "drill": TEXT, "params": ANY_OBJECT},
            ("patient_id", "drill"),
        ),
        "status": 201,
        "response": ref("TrialStarted"),
    },
    "api.stop": {
        "request": obj({"for": {"enum": ["pain"]}}),
        "response": obj(
            {
                "stopped": {"type": "boolean"},
                "trial_id": nullable(TEXT),
                "for_pain": {"type": "boolean"},
            },
            ("stopped",),
        ),
    },
    "api.note_pain_site": {"request": obj({"where": TEXT}, ("where",)), "response": ref("Trial")},
    "api.get_trial": {"response": ref("Trial")},
    "api.trial_samples": {
        "response": obj(
            {"columns": {**ANY_OBJECT, "description": "column name -> values"}, "n": INTEGER},
            ("columns", "n"),
        )
    },
    "api.export_trial": {"media": "text/csv", "response": TEXT},
    "api.list_analyses": {"response": list_of("analyses", ref("Analysis"))},
    "api.reanalyse": {
        "request": obj(
            {
                "filter_hz": nullable(NUMBER),
                "filter_order": INTEGER,
                "resample_hz": nullable(NUMBER),
                "ellipse": {**TEXT, "enum": list(ELLIPSES)},
            },
            additionalProperties=False,
        ),
        "status": 201,
        "response": ref("Analysis"),
    },
    "api.zero_imu": {
        "response": obj({"pitch_zero_deg": NUMBER, "roll_zero_deg": NUMBER}),
    },
    "api.sim_person": {
        "request": obj({"on_platform": {"type": "boolean"}}, ("on_platform",)),
        "response": obj({"on_platform": {"type": "boolean"}}),
    },
    "api.sim_fault": {
        "request": obj(
            {
                "device": {**TEXT, "description": "imu or a load-cell corner (front-left, ...)"},
                "fault": {
                    **TEXT,
                    "description": "I2C chips (NAU7802 corners, the IMU): nack, all-ff, "
                    "bit7-drop until clear, or one glitch: nack-once, all-ff-once, "
                    "bit7-drop-once; brownout (a silent reset), unplug, plug, clear. "
                    "HX711 corners: stall, unplug, plug",
                },
            },
            ("device", "fault"),
        ),
        "response": obj({"device": TEXT, "fault": TEXT}),
    },
    "api.live": {
        "media": "text/event-stream",
        "response": {
            **TEXT,
            "description": "events whose data is JSON: frames, drill, cues, instruction",
        },
    },
    # --- technicians (webpanel.technician) ---
    "api.technician_diagnostics": {
        "response": obj(
            {
                "version": TEXT,
                "schema_version": obj({"current": INTEGER, "latest": INTEGER}),
                "loop": ANY_OBJECT,
                "devices": {**ANY_OBJECT, "description": "device name -> state, rate, faults"},
                "cpu_temperature_c": nullable(NUMBER),
                "disk": nullable(ANY_OBJECT),
                "calibration": {**TEXT, "description": "where the calibration in use is from"},
                "active_calibration": nullable(ANY_OBJECT),
            },
            ("version", "loop", "devices"),
        )
    },
    "api.technician_logs": {
        "response": obj(
            {
                "level": TEXT,
                "source": nullable({**TEXT, "enum": ["journal", "memory"]}),
                "lines": {"type": "array", "items": ANY_OBJECT},
            },
            ("source", "lines"),
        )
    },
    "api.technician_config": {
        "response": obj(
            {"source": nullable(TEXT), "sections": {"type": "array", "items": ANY_OBJECT}},
            ("sections",),
        )
    },
    "api.calibration_list": {"response": list_of("calibrations", ANY_OBJECT)},
    "api.calibration_state": {"response": ref("CalibrationWizard")},
    "api.calibration_start": {
        "request": obj(
            {
                "mode": {**TEXT, "enum": ["calibrate", "check"]},
                "masses_kg": {
                    "type": "array",
                    "items": {**NUMBER, "exclusiveMinimum": 0},
                    "minItems": 3,
                    "maxItems": wizard.MAX_MASSES,
                    "description": "different masses, kg (default 5, 10, 20)",
                },
                "cop_positions": {"type": "boolean"},
                "check_mass_kg": {**NUMBER, "exclusiveMinimum": 0},
                "seconds": {
                    **NUMBER,
                    "minimum": wizard.SECONDS_RANGE[0],
                    "maximum": wizard.SECONDS_RANGE[1],
                },
            },
            additionalProperties=False,
        ),
        "status": 201,
        "response": ref("CalibrationWizard"),
    },
    "api.calibration_place": {"response": ref("CalibrationWizard")},
    "api.calibration_measure": {"response": ref("CalibrationWizard")},
    "api.calibration_save": {
        "request": obj({"note": {**TEXT, "maxLength": wizard.NOTE_LIMIT}}),
        "response": ref("CalibrationWizard"),
    },
    "api.calibration_close": {"response": ref("CalibrationWizard")},
}
