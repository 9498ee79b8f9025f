"""Numbered schema migrations, applied in order at start-up; never edit a released one."""

from collections.abc import Callable

from sqlite_utils import Database


def _v1_foundation(db: Database) -> None:
    """Patients and trials (with their raw samples as one compressed blob)."""
    db["patients"].create(
        {
            "id": int,
            "name": str,
            "code": str,
            "height_cm": float,
            "weight_kg": float,
            "created_at": str,
        },
        pk="id",
        not_null={"name", "created_at"},
    )
    db["patients"].create_index(["name"])
    db["trials"].create(
        {
            "id": str,
            "patient_id": int,
            "drill": str,
            "params": str,
            "state": str,
            "reason": str,
            "result": str,
            "events": str,
            "cues": str,
            "rate_hz": float,
            "started_at": str,
            "ended_at": str,
            "duration_s": float,
            "software_version": str,
            "samples": bytes,
        },
        pk="id",
        foreign_keys=[("patient_id", "patients", "id")],
        not_null={"patient_id", "drill", "state", "started_at"},
    )
    db["trials"].create_index(["patient_id", "started_at"])


MIGRATIONS: tuple[Callable[[Database], None], ...] = (_v1_foundation,)
