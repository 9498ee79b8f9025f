"""A patient's visits as a FHIR R4 Bundle for the clinic's electronic health record: the
Patient; per visit an Encounter, an Observation per headline measure of each trial, a
DiagnosticReport that gathers them and a ChargeItem of the CPT 97112 units billed.

Every resource is built as a model of ``fhir.resources.R4B`` (FHIR 4.3.0), which validates it
as it is made: no maintained release of fhir.resources has R4 4.0.1 models (its last, 6.4.0,
needs pydantic 1, and the test tools need pydantic 2), and the elements used here are the
same in R4 4.0.1 (docs/architecture.md, *FHIR export*).

The Bundle is a ``transaction``: its resources refer to each other by ``urn:uuid:`` full URLs,
so a FHIR server given it (``fhir_delivery.send``) makes them all or none and links them. Each
carries the station's own id as an identifier; patients and visits are numbered per station,
so the export asks the server to match nothing (plain creates): sending a visit twice records
it twice.

An Observation is one headline measure of one trial (``measures.headline``), coded in the
station's own code system (``MEASURES``: the measure's key, its English label) with the drill
as its method and the value in UCUM. A measure the trial scored in several parts (an
mCTSIB's four conditions, gait initiation's legs) has one component per part, named for the
part's condition, and no value of its own; a measure of one part has its condition in the
code's text. Trials without headline measures (ended before anything was scored) add none.

The Bundle holds the patient's name, birth date and sex: it is for the clinic's own record
system, on the clinic's network (README, *FHIR export*). Words are English, as in the other
exports.
"""

import uuid
from datetime import UTC, datetime

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.chargeitem import ChargeItem
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.domainresource import DomainResource
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from station.results.measures import drill_title, headline

BASE = "https://balance-station.example/fhir"
"""The root of the station's own code and identifier systems: ``.example`` is reserved for
names that belong to no one (RFC 2606), so they cannot clash with a real organisation's."""
MEASURES = f"{BASE}/CodeSystem/measure"
DRILLS = f"{BASE}/CodeSystem/drill"
REPORTS = f"{BASE}/CodeSystem/report"
IDENTIFIERS = {
    kind: f"{BASE}/{kind}-id" for kind in ("patient", "visit", "measure", "report", "charge")
}
CLINIC_CODE = f"{BASE}/clinic-code"
UCUM_SYSTEM = "http://unitsofmeasure.org"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
EXAM = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "exam",
            "display": "Exam",
        }
    ]
}
PHYSICAL_THERAPY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/v2-0074",
            "code": "PT",
            "display": "Physical Therapy",
        }
    ]
}
AMBULATORY = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
    "code": "AMB",
    "display": "ambulatory",
}
VISIT_REPORT = {
    "coding": [{"system": REPORTS, "code": "visit", "display": "Balance station visit"}],
    "text": "Balance assessment and training visit",
}
GENDER = {"female": "female", "male": "male", "other": "other", "unspecified": "unknown"}
"""The patient record's sex as FHIR's administrative gender."""

UCUM = {
    "cm": "cm",
    "cm/s": "cm/s",
    "cm²": "cm2",
    "cm²/s": "cm2/s",
    "mm": "mm",
    "mm/s": "mm/s",
    "s": "s",
    "ms": "ms",
    "Hz": "Hz",
    "per s": "/s",
    "shifts/min": "/min",
    "N": "N",
    "°": "deg",
    "°/s": "deg/s",
    "%": "%",
    "% of limit": "%",
    "% body weight": "%",
    "fraction": "1",
    "errors": "{errors}",
    "of 4": "1",
    "points": "{points}",
    "": "1",
}
"""Every unit the station's measures are given in (``drills.catalog.RESULT_DOCS``) as its
UCUM code: a count, a score or a ratio is dimensionless (``1``, or annotated as UCUM counts
things: ``{errors}``); the station's words stay in the quantity's ``unit``. A unit missing here
goes without a code, with a note saying so (tests/station/test_fhir.py keeps every unit of
the catalog here)."""


def for_visit(records, visit_id: int) -> Bundle:
    """The Bundle of one visit from ``records`` (the station's records service): its
    patient, the visit and its trials' measures, report and billing. NotFoundError naming the
    visit when there is none."""
    visit = records.visits.get(visit_id)
    patient = records.get_patient(visit["patient_id"])
    return bundle(patient, [(visit, records.visits.trials(visit_id))])


def for_patient(records, patient_id: int) -> Bundle:
    """The Bundle of a patient and every visit of theirs, oldest first. Trials run on a day
    without a visit are not in it: they belong to no encounter."""
    patient = records.get_patient(patient_id)
    visits = records.visits.for_patient(patient_id)[::-1]
    return bundle(patient, [(visit, records.visits.trials(visit["id"])) for visit in visits])


def bundle(patient: dict, visits: list[tuple[dict, list[dict]]]) -> Bundle:
    """A transaction Bundle of ``patient`` (a patient record) and ``visits``: (visit record,
    its trials with their results) pairs."""
    patient_url = _new_url()
    entries = [(patient_url, _patient(patient))]
    for visit, trials in visits:
        entries += _visit(patient_url, visit, trials)
    return Bundle(
        type="transaction",
        timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
        entry=[
            {
                "fullUrl": url,
                "resource": resource,
                "request": {"method": "POST", "url": resource.get_resource_type()},
            }
            for url, resource in entries
        ],
    )


def _new_url() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _identifier(kind: str, value) -> list[dict]:
    return [{"system": IDENTIFIERS[kind], "value": str(value)}]


def _patient(record: dict) -> Patient:
    identifiers = _identifier("patient", record["id"])
    if record["code"]:
        identifiers.append({"system": CLINIC_CODE, "value": record["code"]})
    return Patient(
        identifier=identifiers,
        name=[{"text": record["name"]}],
        gender=GENDER.get(record["sex"]),
        birthDate=record["birth_date"],
        communication=[
            {
                "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": record["language"]}]},
                "preferred": True,
            }
        ],
    )


def _visit(patient_url: str, visit: dict, trials: list[dict]) -> list[tuple[str, DomainResource]]:
    """The visit's Encounter, its Observations, its DiagnosticReport and, once its minutes
    are logged, its ChargeItem, each with its full URL."""
    subject = {"reference": patient_url}
    encounter_url, report_url = _new_url(), _new_url()
    encounter = {"reference": encounter_url}
    therapist = visit["therapist"]
    entries = [
        (
            encounter_url,
            Encounter(
                identifier=_identifier("visit", visit["id"]),
                status="finished",
                class_fhir=AMBULATORY,
                subject=subject,
                participant=[{"individual": {"display": therapist}}] if therapist else None,
                period={"start": visit["visit_date"], "end": visit["visit_date"]},
            ),
        )
    ]
    observations = [
        (_new_url(), observation)
        for trial in trials
        for observation in _observations(trial, subject, encounter)
    ]
    entries += observations
    entries.append(
        (
            report_url,
            DiagnosticReport(
                identifier=_identifier("report", visit["id"]),
                status="final",
                category=[PHYSICAL_THERAPY],
                code=VISIT_REPORT,
                subject=subject,
                encounter=encounter,
                effectiveDateTime=visit["visit_date"],
                result=[{"reference": url} for url, _ in observations] or None,
                conclusion=visit["assessment"],
            ),
        )
    )
    billing = visit["billing"]
    if billing is not None:
        entries.append((_new_url(), _charge(visit, billing, subject, encounter, report_url)))
    return entries


def _charge(
    visit: dict, billing: dict, subject: dict, encounter: dict, report_url: str
) -> ChargeItem:
    """The visit's CPT 97112 units (``billing.billing_summary``) as a ChargeItem: billable
    with one unit or more, not billable under the 8 minutes of the first."""
    return ChargeItem(
        identifier=_identifier("charge", visit["id"]),
        status="billable" if billing["units"] else "not-billable",
        code={
            "coding": [{"system": CPT_SYSTEM, "code": billing["code"], "display": billing["name"]}],
            "text": billing["name"],
        },
        subject=subject,
        context=encounter,
        occurrenceDateTime=visit["visit_date"],
        quantity={"value": billing["units"]},
        supportingInformation=[{"reference": report_url}],
        note=[{"text": billing["explanation"]}],
    )


def _observations(trial: dict, subject: dict, encounter: dict) -> list[Observation]:
    """One Observation per headline measure of ``trial``, with a component per part when the
    trial scored it in several."""
    parts: dict[str, list[tuple[str, str, dict]]] = {}
    for part in headline(trial):
        for value in part["values"]:
            parts.setdefault(value["key"], []).append((part["condition"], part["quality"], value))
    title = drill_title(trial["drill"])
    method = {
        "coding": [{"system": DRILLS, "code": trial["drill"], "display": title}],
        "text": title,
    }
    observations = []
    for key, scored in parts.items():
        label, unit = scored[0][2]["label"], scored[0][2]["unit"]
        coding = [{"system": MEASURES, "code": key, "display": label}]
        notes = [
            f"{condition}: not scored as good (the data-quality gate failed)"
            for condition, quality, _ in scored
            if quality == "not scored as good"
        ]
        if UCUM.get(unit) is None:
            notes.append(f"{label}: {unit!r} has no UCUM code: the value is in the station's unit")
        if trial["state"] != "completed":
            notes.append(
                f"trial {trial['state']}" + (f": {trial['reason']}" if trial["reason"] else "")
            )
        if len(scored) == 1:
            condition, _, value = scored[0]
            named = f"{label} - {condition}" if condition else label
            shown = {"code": {"coding": coding, "text": named}, "valueQuantity": _quantity(value)}
        else:
            shown = {
                "code": {"coding": coding, "text": label},
                "component": [
                    {
                        "code": {"coding": coding, "text": f"{label} - {condition}"},
                        "valueQuantity": _quantity(value),
                    }
                    for condition, _, value in scored
                ],
            }
        observations.append(
            Observation(
                identifier=_identifier("measure", f"{trial['id']}/{key}"),
                status="final",
                category=[EXAM],
                subject=subject,
                encounter=encounter,
                effectiveDateTime=trial["started_at"],
                method=method,
                note=[{"text": note} for note in notes] or None,
                **shown,
            )
        )
    return observations


def _quantity(value: dict) -> dict:
    """A headline value (``measures.headline``) as a Quantity in UCUM."""
    quantity = {"value": value["value"], "unit": value["unit"] or None}
    code = UCUM.get(value["unit"])
    if code is not None:
        quantity |= {"system": UCUM_SYSTEM, "code": code}
    return quantity
