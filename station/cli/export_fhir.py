"""``balance-station export-fhir``: a visit's or a patient's records as a FHIR R4 Bundle
(``station.results.fhir``), as JSON to a file or standard output, or sent to the clinic's FHIR
server (``[fhir] server_url``, ``station.results.fhir_delivery``).

Its modules are imported when the command runs: the others do not load the FHIR models, and
what ``balance-station`` loads before it picks a command reaches nothing of ``hw``
(tests/test_architecture.py)."""

import sys
from pathlib import Path

from station.errors import StationError


def add_export_fhir_parser(sub) -> None:
    """The ``export-fhir`` subcommand of ``balance-station``."""
    export = sub.add_parser(
        "export-fhir",
        help="a visit's or a patient's records as a FHIR R4 Bundle (JSON) for the clinic's "
        "health record",
    )
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--visit", type=int, metavar="ID", help="one visit")
    which.add_argument("--patient", type=int, metavar="ID", help="a patient and all their visits")
    export.add_argument(
        "--out", type=Path, help="file to write (default: standard output, unless --send)"
    )
    export.add_argument(
        "--send",
        action="store_true",
        help="post the Bundle as a transaction to the FHIR server of [fhir] server_url",
    )
    export.add_argument("--config", type=Path, help="TOML config (data directory, [fhir])")


def run_export_fhir(args) -> int:
    from station.records.service import Records
    from station.results.fhir import for_patient, for_visit
    from station.results.fhir_delivery import FhirDeliveryError, send
    from station.runtime.core_config import load_config
    from station.storage.database import Storage

    config = load_config(args.config)
    server_url = config.fhir.server_url
    if args.send and not server_url:
        raise StationError(
            f"--send: no FHIR server is configured: set [fhir] server_url in "
            f"{config.source or 'the config (see README, Configuration)'}"
        )
    db_path = config.station.data_dir / "station.db"
    if not db_path.exists():
        raise StationError(f"no database at {db_path}: check [station] data_dir")
    storage = Storage(db_path)
    try:
        records = Records(storage)
        if args.visit is not None:
            what, bundle = f"visit {args.visit}", for_visit(records, args.visit)
        else:
            what, bundle = f"patient {args.patient}", for_patient(records, args.patient)
    finally:
        storage.close()
    text = bundle.model_dump_json(indent=2) + "\n"
    resources = f"{what}, {len(bundle.entry)} resources"
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out} ({resources})", file=sys.stderr)
    elif not args.send:
        sys.stdout.write(text)
    if args.send:
        try:
            status = send(text, server_url)
        except FhirDeliveryError as exc:  # the server's or the network's fault: exit 1
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"sent {resources} to {server_url}: HTTP {status}", file=sys.stderr)
    return 0
