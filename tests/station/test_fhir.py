"""The FHIR export (issue 19, item 5): a visit's or a patient's records as a transaction Bundle
that parses back with fhir.resources, every reference resolving inside it, the headline
measures in UCUM with a component per part, the CPT 97112 units as a ChargeItem; the
``export-fhir`` command writing and sending it; the ``[fhir] server_url`` option."""

import json
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.chargeitem import ChargeItem
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from drills.catalog import RESULT_DOCS
from station.cli.main import main
from station.clock import VirtualClock
from station.errors import ConfigError
from station.records.billing import CPT_CODE, units_97112
from station.results import fhir
from station.results.fhir import CPT_SYSTEM, MEASURES, UCUM_SYSTEM, for_patient, for_visit
from station.runtime.core_config import parse_config
from station.runtime.station import Station
from tests.conftest import LEAN_STATION

pytestmark = pytest.mark.lean_station  # what is stored and shown of drills (tests/conftest.py)

MINUTES = 30
MODELS = {
    "Patient": Patient,
    "Encounter": Encounter,
    "Observation": Observation,
    "DiagnosticReport": DiagnosticReport,
    "ChargeItem": ChargeItem,
}


def record_visit(station, minutes=MINUTES) -> tuple[dict, dict]:
    """A patient with a quiet stance (two headline measures, one part) and a gait initiation
    (three headline measures, scored per leg and for both legs) on today's visit."""
    patient = station.records.create_patient(
        {"name": "Ada Lovelace", "code": "AL-1", "birth_date": "1950-03-04", "sex": "female"}
    )
    station.start_drill(patient["id"], "quiet-stance", {"duration_s": 10})
    station.run_virtual(max_s=120)
    station.start_drill(patient["id"], "gait-initiation", {"trials": 1, "countdown_s": 2})
    station.run_virtual(max_s=120)
    station.storage.flush()
    visit = station.records.visits.create(
        patient["id"],
        {
            "visit_date": date.today().isoformat(),
            "therapist": "thea",
            "nmr_minutes": minutes,
            "assessment": "Steadier with eyes open.",
        },
    )
    return patient, visit


@pytest.fixture(scope="module")
def recorded():
    """A station as tests/conftest.py's ``station`` (``lean_station``) holding
    ``record_visit``'s records, made once for the tests that only read them."""
    station = Station(
        parse_config({"sim": {"step_on_at_s": 1.0, "seed": 3}, **LEAN_STATION}),
        clock=VirtualClock(),
        db_path=":memory:",
    )
    patient, visit = record_visit(station)
    yield station, patient, visit
    station.close()


def parsed(bundle) -> tuple[Bundle, dict]:
    """``bundle`` written as JSON and parsed back with fhir.resources; its resources by type
    (each a model of that type), in order."""
    again = Bundle.model_validate_json(bundle.model_dump_json())
    assert again.type == "transaction"
    found: dict[str, list] = {}
    for entry in again.entry:
        kind = entry.resource.get_resource_type()
        assert isinstance(entry.resource, MODELS[kind]), kind
        assert entry.request.method == "POST" and entry.request.url == kind
        found.setdefault(kind, []).append(entry.resource)
    return again, found


def references(node) -> list[str]:
    """Every ``reference`` anywhere in a resource's JSON."""
    if isinstance(node, dict):
        own = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return own + [r for value in node.values() for r in references(value)]
    if isinstance(node, list):
        return [r for item in node for r in references(item)]
    return []


def urls_of(bundle: Bundle) -> dict:
    """The full URL of each resource of ``bundle`` (by identity)."""
    return {id(entry.resource): entry.fullUrl for entry in bundle.entry}


def test_a_visits_bundle_parses_back_and_every_reference_resolves_inside_it(recorded):
    station, patient, visit = recorded
    bundle, found = parsed(for_visit(station.records, visit["id"]))
    assert {kind: len(items) for kind, items in found.items()} == {
        "Patient": 1,
        "Encounter": 1,
        "Observation": 5,  # quiet stance 2, gait initiation 3
        "DiagnosticReport": 1,
        "ChargeItem": 1,
    }
    full_urls = [entry.fullUrl for entry in bundle.entry]
    assert len(set(full_urls)) == len(full_urls)
    assert all(url.startswith("urn:uuid:") for url in full_urls)
    for entry in bundle.entry:
        for reference in references(json.loads(entry.resource.model_dump_json())):
            assert reference in full_urls, (entry.resource.get_resource_type(), reference)

    url = urls_of(bundle)
    [person], [encounter], [report] = (
        found[kind] for kind in ("Patient", "Encounter", "DiagnosticReport")
    )
    assert person.name[0].text == "Ada Lovelace" and person.gender == "female"
    assert str(person.birthDate) == "1950-03-04"
    assert {i.value for i in person.identifier} == {str(patient["id"]), "AL-1"}
    assert encounter.status == "finished" and encounter.class_fhir.code == "AMB"
    assert encounter.subject.reference == url[id(person)]
    assert encounter.participant[0].individual.display == "thea"
    for observation in found["Observation"]:
        assert observation.subject.reference == url[id(person)]
        assert observation.encounter.reference == url[id(encounter)]
        assert observation.status == "final"
    assert [r.reference for r in report.result] == [url[id(o)] for o in found["Observation"]]
    assert report.encounter.reference == url[id(encounter)]
    assert report.conclusion == "Steadier with eyes open."


def test_the_billed_cpt_97112_units_are_a_charge_item_of_the_encounter(recorded):
    station, _, visit = recorded
    bundle, found = parsed(for_visit(station.records, visit["id"]))
    [charge], [encounter], [report] = (
        found["ChargeItem"],
        found["Encounter"],
        found["DiagnosticReport"],
    )
    [cpt] = charge.code.coding
    assert (cpt.system, cpt.code) == (CPT_SYSTEM, CPT_CODE) == (CPT_SYSTEM, "97112")
    assert charge.quantity.value == units_97112(MINUTES) == 2
    assert charge.status == "billable"
    url = urls_of(bundle)
    assert charge.context.reference == url[id(encounter)]
    assert charge.supportingInformation[0].reference == url[id(report)]
    assert "30 min gives 2 units" in charge.note[0].text


def test_measures_are_in_ucum_with_a_component_per_part(recorded):
    station, _, visit = recorded
    _, found = parsed(for_visit(station.records, visit["id"]))
    by_code = {o.code.coding[0].code: o for o in found["Observation"]}
    assert all(o.code.coding[0].system == MEASURES for o in by_code.values())
    speed = by_code["velocity_mean_cm_s"]
    assert speed.code.text == "Mean sway speed - eyes open, firm surface"
    assert speed.method.coding[0].code == "quiet-stance"
    assert (speed.valueQuantity.system, speed.valueQuantity.code) == (UCUM_SYSTEM, "cm/s")
    assert speed.valueQuantity.value > 0 and speed.component is None
    assert by_code["area_ellipse95_cm2"].valueQuantity.code == "cm2"
    apa = by_code["apa_ml_mm"]  # scored per leg: one component per part, no value of its own
    assert apa.valueQuantity is None
    assert [c.code.text for c in apa.component] == [
        "APA toward the swing leg - left foot steps first",
        "APA toward the swing leg - right foot steps first",
        "APA toward the swing leg - both legs",
    ]
    assert {(c.valueQuantity.system, c.valueQuantity.code) for c in apa.component} == {
        (UCUM_SYSTEM, "mm")
    }
    assert {c.valueQuantity.code for c in by_code["unload_time_s"].component} == {"s"}


def test_every_unit_of_the_catalog_has_its_ucum_code():
    assert {unit for _, unit, _ in RESULT_DOCS.values()} <= set(fhir.UCUM)


def test_a_unit_without_a_ucum_code_goes_without_one_and_says_so(recorded, monkeypatch):
    station, _, visit = recorded
    monkeypatch.delitem(fhir.UCUM, "cm/s")
    _, found = parsed(for_visit(station.records, visit["id"]))
    [speed] = [o for o in found["Observation"] if o.code.coding[0].code == "velocity_mean_cm_s"]
    quantity = speed.valueQuantity
    assert (quantity.unit, quantity.system, quantity.code) == ("cm/s", None, None)
    assert speed.note[0].text == (
        "Mean sway speed: 'cm/s' has no UCUM code: the value is in the station's unit"
    )


def test_a_patients_bundle_holds_every_visit(station):
    patient, today = record_visit(station)
    earlier = station.records.visits.create(
        patient["id"],
        {"visit_date": (date.today() - timedelta(days=3)).isoformat(), "nmr_minutes": 5},
    )
    unlogged = station.records.visits.create(
        patient["id"], {"visit_date": (date.today() - timedelta(days=1)).isoformat()}
    )
    bundle, found = parsed(for_patient(station.records, patient["id"]))
    assert len(found["Patient"]) == 1
    assert [e.identifier[0].value for e in found["Encounter"]] == [
        str(earlier["id"]),
        str(unlogged["id"]),
        str(today["id"]),
    ]  # oldest first
    assert len(found["DiagnosticReport"]) == 3 and len(found["Observation"]) == 5
    assert found["DiagnosticReport"][0].result is None  # no trial that day
    # minutes not logged: no charge; under 8 minutes: not billable, 0 units
    low, billed = found["ChargeItem"]
    assert (
        (low.status, low.quantity.value) == ("not-billable", units_97112(5)) == ("not-billable", 0)
    )
    assert billed.quantity.value == units_97112(MINUTES)
    url = urls_of(bundle)
    assert low.context.reference == url[id(found["Encounter"][0])]


# --- the command ---------------------------------------------------------------------------


class FhirServer:
    """A stand-in FHIR server on 127.0.0.1: records each request and answers ``status`` with
    ``body``."""

    def __init__(self, status: int = 200, body: dict | None = None):
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                server.requests.append(
                    {
                        "path": self.path,
                        "content_type": self.headers["Content-Type"],
                        "body": self.rfile.read(length),
                    }
                )
                answer = json.dumps(body or {"resourceType": "Bundle"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/fhir"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def on_disk(tmp_path_factory):
    """A station database in a folder of its own holding ``record_visit``'s records;
    ``config(server_url)`` writes a config for it."""
    tmp_path = tmp_path_factory.mktemp("station")
    settings = {
        "station": {"data_dir": str(tmp_path)},
        "sim": {"step_on_at_s": 1.0},
        "imu": {"enabled": False},
    }
    station = Station(parse_config(settings), clock=VirtualClock())
    patient, visit = record_visit(station)
    station.close()

    def config(server_url: str = "") -> str:
        path = tmp_path / "station.toml"
        path.write_text(
            f'[station]\ndata_dir = "{tmp_path}"\n[fhir]\nserver_url = "{server_url}"\n'
        )
        return str(path)

    return patient, visit, config


def test_export_fhir_writes_a_bundle_that_validates(on_disk, tmp_path, capsys):
    patient, visit, config = on_disk
    out = tmp_path / "visit.json"
    assert (
        main(["export-fhir", "--visit", str(visit["id"]), "--config", config(), "--out", str(out)])
        == 0
    )
    _, found = parsed(Bundle.model_validate_json(out.read_text()))
    assert found["ChargeItem"][0].quantity.value == units_97112(MINUTES)
    assert f"wrote {out} (visit {visit['id']}, 9 resources)" in capsys.readouterr().err
    assert main(["export-fhir", "--patient", str(patient["id"]), "--config", config()]) == 0
    _, found = parsed(Bundle.model_validate_json(capsys.readouterr().out))
    assert len(found["Encounter"]) == 1 and len(found["Observation"]) == 5
    assert main(["export-fhir", "--visit", "99", "--config", config()]) == 2
    assert "no visit with id 99" in capsys.readouterr().err


def test_export_fhir_send_posts_the_bundle_as_a_transaction(on_disk, capsys):
    _, visit, config = on_disk
    visit_id = str(visit["id"])
    assert main(["export-fhir", "--visit", visit_id, "--send", "--config", config()]) == 2
    assert "no FHIR server is configured: set [fhir] server_url" in capsys.readouterr().err

    server = FhirServer()
    try:
        assert (
            main(["export-fhir", "--visit", visit_id, "--send", "--config", config(server.url)])
            == 0
        )
    finally:
        server.close()
    [sent] = server.requests
    assert sent["path"] == "/fhir"
    assert sent["content_type"].startswith("application/fhir+json")
    _, found = parsed(Bundle.model_validate_json(sent["body"]))
    assert len(found["Observation"]) == 5
    printed = capsys.readouterr()
    assert printed.out == ""  # sent, not printed
    assert f"to {server.url}: HTTP 200" in printed.err

    refusal = {"resourceType": "OperationOutcome", "issue": [{"diagnostics": "unknown code"}]}
    server = FhirServer(400, refusal)
    try:
        assert (
            main(["export-fhir", "--visit", visit_id, "--send", "--config", config(server.url)])
            == 1
        )
    finally:
        server.close()
    error = capsys.readouterr().err
    assert f"the FHIR server at {server.url} refused the Bundle: HTTP 400" in error
    assert "(unknown code)" in error

    gone = server.url  # closed: nothing listens there now
    assert main(["export-fhir", "--visit", visit_id, "--send", "--config", config(gone)]) == 1
    assert f"cannot reach the FHIR server at {gone}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "url",
    [
        "ftp://ehr.clinic.lan/fhir",
        "ehr.clinic.lan/fhir",
        "https://",
        "http://ehr:99999/fhir",
        "https://ehr/fhir?x=1",
        "https://ehr/fh ir",
    ],
)
def test_the_fhir_server_url_must_be_an_http_base_url(url):
    with pytest.raises(ConfigError, match=r"\[fhir\] server_url = .* is not an http or https"):
        parse_config({"fhir": {"server_url": url}})


def test_the_fhir_server_url_is_optional():
    assert parse_config({}).fhir.server_url == ""
    url = "https://ehr.clinic.lan:8443/fhir/r4"
    assert parse_config({"fhir": {"server_url": url}}).fhir.server_url == url
