"""The amplifier registry: every amplifier declared in full, its driver reading its emulator,
and ``station/`` free of branches on amplifier names (adding one touches only ``hw/``)."""

import ast
from pathlib import Path

import pytest

from hw.amplifiers import AMPLIFIERS, Amplifier, Setting

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("name", AMPLIFIERS)
def test_every_amplifier_is_declared_in_full(name):
    amplifier = AMPLIFIERS[name]
    assert isinstance(amplifier, Amplifier) and amplifier.name == name
    assert amplifier.rates and list(amplifier.rates) == sorted(set(amplifier.rates))
    assert amplifier.default_gain in amplifier.gains
    assert callable(amplifier.driver) and callable(amplifier.emulator)
    assert {"unplug", "plug"} <= set(amplifier.faults)
    assert amplifier.slow_hint
    assert all(isinstance(s, Setting) and s.help for s in amplifier.options.values())
    # probed on I²C behind the mux, or on GPIO through pins the config checks for double use
    assert (amplifier.i2c is not None) != bool(amplifier.pins)
    if amplifier.i2c is not None:
        assert {"mux_address", "channels"} <= set(amplifier.options)


def test_amplifiers_share_no_option_names():
    """Every amplifier's options sit side by side in ``[loadcells]``."""
    names = [name for a in AMPLIFIERS.values() for name in a.options]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", AMPLIFIERS)
def test_the_driver_reads_the_emulator_at_every_rate_end(name):
    from station.clock import VirtualClock
    from station.runtime.core_config import parse_config
    from station.runtime.hardware import build_hardware

    for rate in (AMPLIFIERS[name].rates[0], AMPLIFIERS[name].default_rate):
        config = parse_config({"loadcells": {"amplifier": name, "rate_sps": rate}})
        clock = VirtualClock()
        hardware = build_hardware(config, clock)
        try:
            loadcells, fresh, start = hardware.sensors["loadcells"], [0] * 4, clock.now()
            while clock.now() < start + 2.0:
                sample = loadcells.poll()
                if sample is not None:
                    fresh = [n + f for n, f in zip(fresh, sample.fresh, strict=True)]
                clock.sleep(0.25 / rate)
            assert loadcells.status()["state"] == "ready"
            assert min(fresh) >= rate  # every corner, the last second at least
        finally:
            hardware.close()


# --- station/ does not branch on an amplifier's name --------------------------------------------
def named_amplifiers(source: str, names) -> list[int]:
    """Lines of ``source`` that compare with, look up or match on a string naming one of
    ``names`` (case-insensitive): what a registry lookup should do instead."""
    wanted = {n.lower() for n in names}

    def strings(node):
        return [
            n.value
            for n in ast.walk(node)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ]

    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            found = strings(node)
        elif isinstance(node, ast.Subscript):
            found = strings(node.slice)
        elif isinstance(node, ast.Dict):
            found = strings(ast.Tuple(elts=[k for k in node.keys if k is not None]))
        elif isinstance(node, ast.match_case):
            found = strings(node.pattern)
        else:
            continue
        if any(s.lower() in wanted for s in found):
            lines.append(node.lineno if hasattr(node, "lineno") else node.pattern.lineno)
    return sorted(set(lines))


def test_station_has_no_amplifier_branches():
    branches = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / "station").rglob("*.py"))
        if (lines := named_amplifiers(path.read_text(encoding="utf-8"), AMPLIFIERS))
    }
    assert branches == {}


def test_the_branch_rule_catches_one():
    source = (
        'if cells.amplifier == "hx711":\n    pass\n'
        'RATES = {"NAU7802": (10, 320)}\n'
        'x = table["nau7802"]\n'
        'ok = amplifier in ("hx711",)\n'
        'match amplifier:\n    case "hx711":\n        pass\n'
        'help = "HX711: the clock pin"\n'
    )
    assert named_amplifiers(source, AMPLIFIERS) == [1, 3, 4, 5, 7]
