"""What the station syncs with the clinic hub, kind by kind (a kind is a table of the station's
database and a ``kind`` at the hub), declared once here.

``shared`` kinds are the clinic's (the panel's accounts, patients, their programs, goals and
home exercises): edited on any station, versioned by the hub (``station.hub.schema`` has the
conflict rule); an account's last login stays on the station where it happened.
``recorded`` kinds are a station's own (its trials, re-analyses, visits and calibrations):
written by the station that recorded them, append-only at the hub. A station's calibrations go
up for the record and the fleet view, never down: another platform's calibration would be
wrong on this one.

A record travels as its columns, less the station's own integer ids: each reference to another
record goes as that record's uid (``patient_id`` as ``patient_uid``), which every station maps
to its own ids."""

from dataclasses import dataclass, field

from station.storage.database import ANALYSIS_JSON, CALIBRATION_JSON, JSON_FIELDS, PROGRAM_JSON


@dataclass(frozen=True)
class Kind:
    """One synced table: its ``family`` (``shared`` or ``recorded``), its references (local
    column -> the kind it points at), the columns that never leave the station, and whether
    other stations' records of it are pulled here. ``json`` columns hold JSON text here and
    travel as JSON (the hub can query inside them). ``uid_column`` holds the record's
    clinic-wide id: ``uid`` beside an integer id, or the id itself where it is random."""

    name: str
    family: str
    references: dict[str, str] = field(default_factory=dict)
    json: tuple[str, ...] = ()
    local: tuple[str, ...] = ()
    pulled: bool = True
    uid_column: str = "uid"


SYNC_COLUMNS = ("id", "uid", "version", "origin")
"""The columns sync itself keeps, never sent as a record's content."""

KINDS = {
    kind.name: kind
    for kind in (
        Kind("users", "shared", local=("last_login_at",)),
        Kind("patients", "shared"),
        Kind("programs", "shared", {"patient_id": "patients"}, PROGRAM_JSON),
        Kind("goals", "shared", {"patient_id": "patients"}),
        Kind("home_exercises", "shared", {"patient_id": "patients"}),
        Kind("visits", "recorded", {"patient_id": "patients"}, ("psfs",)),
        Kind("calibrations", "recorded", json=CALIBRATION_JSON, pulled=False),
        Kind(
            "trials",
            "recorded",
            {
                "patient_id": "patients",
                "program_id": "programs",
                "visit_id": "visits",
            },
            JSON_FIELDS,
            local=("samples",),
            uid_column="id",  # a trial's id is a random uid already
        ),
        Kind("analyses", "recorded", {"trial_id": "trials"}, ANALYSIS_JSON),
    )
}


# A station pulls only the kinds and columns its schema has; what a newer station sends beyond
# them is skipped. So a migration that makes a new kind or column sync also deletes the
# station's pull cursor (``sync_state`` 'pulled_seq'): the next cycle pulls everything again,
# which the station applies as the same where it has it already.


def reference_key(column: str) -> str:
    """The key a reference travels under: ``patient_id`` -> ``patient_uid``."""
    return column.removesuffix("_id") + "_uid"
