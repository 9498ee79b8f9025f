"""``[hub]`` of the config as the sync agent uses it, and the sync state /health shows; light
to import (psycopg is loaded only where a hub is configured)."""

from dataclasses import dataclass
from pathlib import Path

from station.hub.errors import HubError

CONNECT_TIMEOUT_S = 5
NO_HUB = {"state": "off", "message": "no clinic hub configured ([hub] host is empty)"}


@dataclass(frozen=True)
class HubSettings:
    """``[hub]`` of the config: where the hub is and who this station is there."""

    host: str
    port: int
    database: str
    station_id: str
    password_file: Path
    ca_file: Path | None
    interval_s: float

    def conninfo(self) -> str:
        """libpq's connection string: SCRAM with the station's password (read from its file
        now, so a new password needs no restart) and TLS, verified against the clinic's CA
        when ``ca_file`` is set (``verify-full``: the hub's certificate must name ``host``)."""
        try:
            password = self.password_file.read_text().strip()
        except OSError as exc:
            raise HubError(
                f"[hub] password_file {self.password_file}: {exc.strerror}; it holds the "
                f"password given to 'balance-station hub add-station {self.station_id}'"
            ) from exc
        tls = (
            {"sslmode": "verify-full", "sslrootcert": str(self.ca_file)}
            if self.ca_file
            else {"sslmode": "prefer"}
        )
        from psycopg.conninfo import make_conninfo  # only where a hub is configured

        return make_conninfo(
            host=self.host,
            port=self.port,
            dbname=self.database,
            user=f"station_{self.station_id}",
            password=password,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name=f"balance-station {self.station_id}",
            channel_binding="prefer",
            **tls,
        )


def hub_settings(config) -> HubSettings | None:
    """The ``[hub]`` of a validated config as HubSettings; None when no hub is configured."""
    if not config.hub.host:
        return None
    return HubSettings(**config.hub.as_dict())  # its fields are the section's options


def sync_state(agent) -> dict:
    """The sync agent's status, or that there is no hub (``agent`` None)."""
    return dict(NO_HUB) if agent is None else agent.status()
