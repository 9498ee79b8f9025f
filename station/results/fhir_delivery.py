"""Delivery of a FHIR Bundle to the clinic's FHIR server (``[fhir] server_url``): one HTTP
POST of the transaction Bundle to the server's base URL, FHIR's transaction interaction, in
which the server makes every resource of the Bundle or none. No credentials are sent: the
server is the clinic's own, on its network (README, *FHIR export*)."""

import json
import urllib.error
import urllib.request

from station.errors import StationError

MEDIA_TYPE = "application/fhir+json"
"""FHIR's JSON media type, in the API's answers and the delivery's requests."""
TIMEOUT_S = 30.0
"""How long to wait for the server: a transaction of a patient's whole history can take it a
few seconds."""


class FhirDeliveryError(StationError, ConnectionError):
    """The FHIR server could not be reached or refused the Bundle; the message names its URL
    and what it said."""


def send(bundle_json: str, base_url: str) -> int:
    """POST ``bundle_json`` (a transaction Bundle) to the FHIR server at ``base_url``; the
    HTTP status of its answer (2xx). FhirDeliveryError naming the URL when the server cannot
    be reached or refuses it (with what its OperationOutcome says)."""
    request = urllib.request.Request(
        base_url,
        data=bundle_json.encode("utf-8"),
        method="POST",
        headers={"Content-Type": f"{MEDIA_TYPE}; charset=utf-8", "Accept": MEDIA_TYPE},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        said = _outcome(exc.read())
        raise FhirDeliveryError(
            f"the FHIR server at {base_url} refused the Bundle: HTTP {exc.code} {exc.reason}"
            + (f" ({said})" if said else "")
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise FhirDeliveryError(
            f"cannot reach the FHIR server at {base_url}: {reason} (check [fhir] server_url "
            "and the network)"
        ) from None


def _outcome(body: bytes) -> str:
    """What the issues of the server's OperationOutcome say; empty when it sent none."""
    try:
        issues = json.loads(body)["issue"]
        said = [i.get("diagnostics") or (i.get("details") or {}).get("text") for i in issues]
    except (ValueError, KeyError, TypeError, AttributeError):
        return ""
    return "; ".join(s for s in said if isinstance(s, str) and s)
