"""``balance-station i2c-scan``: what answers on the station's I²C bus and behind its mux.

Like ``i2cdetect``, but it also opens each TCA9548A channel in turn and names the chips the
station knows, so a technician sees at once which load-cell amplifier or IMU is missing. Where
an amplifier sits on the bus, and what it is called there, is its declaration's
(``hw.amplifiers``).
"""

from hw.amplifiers import AMPLIFIERS

KNOWN_CHIPS = {
    0x4A: "BNO08x IMU",
    0x4B: "BNO08x IMU (alternate address)",
    **{
        address: chip
        for amplifier in AMPLIFIERS.values()
        if amplifier.i2c is not None
        for address, chip in amplifier.i2c.known_chips().items()
    },
}


def scan_bus(bus, mux_address: int | None = None) -> list[dict]:
    """Every address that acknowledges on ``bus`` (an smbus2.SMBus or compatible), then on each
    channel of the mux at ``mux_address`` if it answers; rows of address, channel (None on the
    main bus) and the chip the station expects there."""
    from hw.i2cbus import SMBusI2C

    i2c = SMBusI2C(bus)
    main = i2c.scan()
    rows = [{"address": a, "channel": None, "chip": KNOWN_CHIPS.get(a, "unknown")} for a in main]
    if mux_address is None or mux_address not in main:
        return rows
    try:
        for channel in range(8):
            bus.write_byte(mux_address, 1 << channel)
            rows.extend(
                {"address": a, "channel": channel, "chip": KNOWN_CHIPS.get(a, "unknown")}
                for a in i2c.scan()
                if a not in main
            )
    finally:
        bus.write_byte(mux_address, 0)
    return rows


def expected_chips(config) -> list[dict]:
    """The chips the config says are fitted, as rows like ``scan_bus`` returns, with ``use``."""
    rows = []
    if config.imu.enabled:
        rows.append({"address": config.imu.address, "channel": None, "use": "IMU"})
    placement = AMPLIFIERS[config.loadcells.amplifier].i2c
    return rows + (placement.expected(config.loadcells) if placement is not None else [])


def mux_address(config) -> int | None:
    """The address of the load cells' mux, None when the amplifier is not on I²C."""
    placement = AMPLIFIERS[config.loadcells.amplifier].i2c
    return placement.mux_address(config.loadcells) if placement is not None else None


def missing_chips(config, rows: list[dict]) -> list[dict]:
    """The expected chips that did not answer."""
    found = {(row["address"], row["channel"]) for row in rows}
    return [e for e in expected_chips(config) if (e["address"], e["channel"]) not in found]


def _where(row: dict) -> str:
    return "main bus" if row["channel"] is None else f"mux channel {row['channel']}"


def format_scan(rows: list[dict], missing: list[dict], bus_name: str) -> str:
    """One line per chip found, then one per expected chip that is missing."""
    if not rows:
        return (
            f"nothing answers on {bus_name}: check that I2C is enabled "
            "(sudo raspi-config nonint do_i2c 0), the 3.3 V supply and the SDA/SCL wiring"
        )
    lines = [f"{bus_name}:"]
    lines += [f"  {r['address']:#04x}  {_where(r):14s} {r['chip']}" for r in rows]
    lines += [
        f"  MISSING {m['address']:#04x} on {_where(m)}: the {m['use']} does not answer; "
        "check its cable, connectors and supply"
        for m in missing
    ]
    return "\n".join(lines)
