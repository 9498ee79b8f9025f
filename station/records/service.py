"""The station's records service: patients, their programs, visits and the panel's accounts,
over the station's database. ``Station.records`` in the core, ``PanelStation.records`` in the
panel: the same methods in either process."""

from station.records.accounts import Accounts
from station.records.goals import Goals
from station.records.home_program import HomePrograms
from station.records.patients import PATIENT_PAGE, validate_patient
from station.records.programs import DEFAULT_EVALUATION, validate_program
from station.records.visits import Visits
from station.storage.database import Storage


class Records:
    """Patients, programs, visits and accounts in ``storage``."""

    def __init__(self, storage: Storage):
        self.storage = storage

    def create_program(self, patient_id: int, data: dict) -> dict:
        """Validate and save a program for ``patient_id``."""
        program = self.storage.create_program(patient_id, validate_program(data))
        return self._with_next_step(program)

    def update_program(self, program_id: int, data: dict) -> dict:
        """Replace a program's name, steps and rules (its kind and history are kept)."""
        kind = self.storage.get_program(program_id)["kind"]
        clean = validate_program({**data, "kind": kind} if isinstance(data, dict) else data)
        program = self.storage.update_program(program_id, clean)
        return self._with_next_step(program)

    def create_evaluation(self, patient_id: int, on: str) -> dict:
        """A new evaluation for ``patient_id`` named for the day ``on`` (ISO date): the
        patient's latest evaluation's battery, tests and settings as the therapist left them,
        so a re-evaluation compares like with like; the default battery (``DEFAULT_EVALUATION``)
        for a first one. Either may be edited like a program."""
        earlier = [p for p in self.storage.list_programs(patient_id) if p["kind"] == "evaluation"]
        battery = earlier[-1]["steps"] if earlier else DEFAULT_EVALUATION
        steps = [{"drill": s["drill"], "params": dict(s["params"])} for s in battery]
        data = {"name": f"Evaluation {on}", "kind": "evaluation", "steps": steps}
        return self.create_program(patient_id, data)

    def get_program(self, program_id: int) -> dict:
        return self._with_next_step(self.storage.get_program(program_id))

    def list_programs(self, patient_id: int) -> list[dict]:
        self.storage.get_patient(patient_id)
        return [self._with_next_step(p) for p in self.storage.list_programs(patient_id)]

    def _with_next_step(self, program: dict) -> dict:
        """``program`` with ``next_step``: the step after the last one completed (the first
        when none has been, and again after the last), which "Start next step" runs."""
        rows = self.storage.query(
            "SELECT program_step FROM trials WHERE program_id = ? AND state = 'completed' "
            "ORDER BY started_at DESC, rowid DESC LIMIT 1",
            [program["id"]],
        )
        last = rows[0]["program_step"] if rows else None
        return {**program, "next_step": 0 if last is None else (last + 1) % len(program["steps"])}

    def list_patients(
        self, search: str = "", limit: int = PATIENT_PAGE, after: int | None = None
    ) -> dict:
        """A page of patients: ``patients`` (up to ``limit`` whose name or code contains
        ``search``, in name order, after patient ``after``) and ``next``, the ``after`` of the
        following page (None on the last)."""
        found = self.storage.list_patients(search, limit + 1, after)
        more = len(found) > limit
        found = found[:limit]
        return {"patients": found, "next": found[-1]["id"] if more else None}

    def create_patient(self, data: dict) -> dict:
        return self.storage.create_patient(validate_patient(data))

    def update_patient(self, patient_id: int, data: dict) -> dict:
        """Replace a patient's details with ``data``, validated whole like a new record."""
        self.storage.get_patient(patient_id)
        return self.storage.update_patient(patient_id, validate_patient(data))

    def get_patient(self, patient_id: int) -> dict:
        return self.storage.get_patient(patient_id)

    def accounts(self, hasher) -> Accounts:
        """The panel's accounts in this database, hashing with ``hasher``."""
        return Accounts(self.storage, hasher)

    @property
    def goals(self) -> Goals:
        """The patients' measurable goals."""
        return Goals(self.storage)

    @property
    def home_programs(self) -> HomePrograms:
        """The patients' home exercise programs."""
        return HomePrograms(self.storage)

    @property
    def visits(self) -> Visits:
        """The visit records (one per patient and day, with billed minutes)."""
        return Visits(self.storage)
