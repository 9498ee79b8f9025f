"""Config: defaults, validation errors that name section and option, file handling."""

from pathlib import Path

import pytest

from station.config import SIM_PROFILES, prepare_data_dir
from station.errors import ConfigError
from station.runtime.core_config import load_config, parse_config


def test_no_config_means_simulation_and_data_under_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    config = load_config()
    assert config.source is None
    assert config.station.hardware == "sim"
    assert config.station.data_dir == tmp_path / ".local" / "share" / "balance-station"
    assert (config.panel.host, config.panel.port) == ("127.0.0.1", 8080)
    assert config.station.loop_rate_hz == 100.0


def test_default_location_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "balance-station").mkdir()
    (tmp_path / "balance-station" / "station.toml").write_text("[panel]\nport = 9000\n")
    config = load_config()
    assert config.panel.port == 9000
    assert config.source == tmp_path / "balance-station" / "station.toml"


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"plaform": {}}, r"unknown section \[plaform\] \(known: station, panel"),
        ({"panel": {"prot": 80}}, r"unknown option \[panel\] prot"),
        ({"panel": {"port": 70000}}, r"\[panel\] port = 70000 is above the maximum 65535"),
        ({"station": {"loop_rate_hz": 5}}, r"\[station\] loop_rate_hz = 5.0 is below"),
        ({"station": {"hardware": "arduino"}}, r"\[station\] hardware = 'arduino' is not one of"),
        ({"loadcells": {"rate_sps": 100}}, r"\[loadcells\] rate_sps = 100 is not one of"),
        ({"panel": {"port": "80"}}, r"\[panel\] port must be of type int"),
        ({"platform": {"width_mm": True}}, r"\[platform\] width_mm must be of type float"),
        ({"loadcells": {"channels": [0, 1, 2]}}, r"\[loadcells\] channels must be a list of 4"),
        ({"loadcells": {"channels": [0, 1, 1, 2]}}, "4 different channels"),
        ({"platform": {"step_off_n": 200.0}}, "step_off_n must be below step_on_n"),
        (
            {"cues": {"buzzer_pin": 5}},
            r"\[cues\] front_led_pin and \[cues\] buzzer_pin both use GPIO 5",
        ),
        (
            {"cues": {"buzzer_pin": 2}},
            r"\[cues\] buzzer_pin and I2C SDA both use GPIO 2: .*carry I2C",
        ),
        (
            {"loadcells": {"amplifier": "hx711", "hx711_data_pins": [27, 22, 23, 18]}},
            r"\[cues\] buzzer_pin and \[loadcells\] hx711_data_pins\[3\] both use GPIO 18",
        ),
        (
            {"loadcells": {"amplifier": "hx711", "rate_sps": 320}},
            r"rate_sps = 320 is not a rate of the hx711",
        ),
        ({"loadcells": {"amplifier": "hx711", "gain": 8}}, r"gain = 8 is not a gain of the hx711"),
        ({"imu": {"address": 0x28}}, r"\[imu\] address = 40 is not one of"),
        ({"cues": {"buzzer": "kazoo"}}, r"\[cues\] buzzer = 'kazoo' is not one of"),
        (
            {"loadcells": {"tare_counts": [0, 0, 0, 0]}},
            r"\[loadcells\] give both tare_counts and gain_n_per_count, or neither",
        ),
        ({"sim": {"profile": "astronaut"}}, r"\[sim\] profile = 'astronaut' is not one of"),
        (
            {"panel": {"live_streams": 4, "live_streams_per_account": 6}},
            r"\[panel\] live_streams_per_account must not exceed live_streams",
        ),
        ({"station": {"loop_priority": 99}}, r"\[station\] loop_priority = 99 is above"),
        # TOML has nan and inf: no range check lets them through
        ({"station": {"loop_rate_hz": float("nan")}}, r"\[station\] loop_rate_hz = nan is not"),
        ({"imu": {"rate_hz": float("nan")}}, r"\[imu\] rate_hz = nan is not a number"),
        ({"platform": {"live_filter_hz": float("nan")}}, r"live_filter_hz = nan is not"),
        ({"platform": {"width_mm": float("nan")}}, r"\[platform\] width_mm = nan is not"),
        ({"platform": {"depth_mm": float("inf")}}, r"\[platform\] depth_mm = inf is not"),
        ({"platform": {"step_on_n": float("nan")}}, r"\[platform\] step_on_n = nan is not"),
        ({"platform": {"step_off_n": float("-inf")}}, r"step_off_n = -inf is not a number"),
        ({"platform": {"min_load_n": float("nan")}}, r"\[platform\] min_load_n = nan is not"),
        ({"platform": {"origin_ml_mm": float("nan")}}, r"origin_ml_mm = nan is not a number"),
        ({"platform": {"origin_ap_mm": 5000.0}}, r"origin_ap_mm = 5000.0 is above the maximum"),
        ({"sim": {"step_on_at_s": float("nan")}}, r"\[sim\] step_on_at_s = nan is not"),
        (
            {"loadcells": {"tare_counts": [0, 0, float("nan"), 0], "gain_n_per_count": [1] * 4}},
            r"\[loadcells\] tare_counts = nan is not a number",
        ),
        ({"panel": {"host": "256.1.1.1"}}, r"\[panel\] host = '256.1.1.1' is not an IP address"),
        ({"panel": {"host": ""}}, r"\[panel\] host = '' is not an IP address or a host name"),
        ({"panel": {"host": "tablet station"}}, r"\[panel\] host = 'tablet station' is not"),
        ({"panel": {"connections_per_address": 1}}, r"connections_per_address = 1 is below"),
        ({"hub": {"host": "hub clinic"}}, r"\[hub\] host = 'hub clinic' is not .* the hub's host"),
        ({"hub": {"host": "hub.lan"}}, r"\[hub\] station_id = '': give this station's id"),
        (
            {"hub": {"host": "hub.lan", "station_id": "Room 1"}},
            r"\[hub\] station_id = 'Room 1': .*lower-case letters",
        ),
        (
            {"hub": {"host": "hub.lan", "station_id": "room-1"}},
            r"\[hub\] password_file is empty: .*hub add-station room-1",
        ),
        ({"hub": {"interval_s": 0.1}}, r"\[hub\] interval_s = 0.1 is below the minimum 1.0"),
    ],
)
def test_bad_values_name_section_and_option(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(raw)


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0", "::1", "balance-1.local", "localhost"])
def test_addresses_and_host_names_are_accepted(host):
    assert parse_config({"panel": {"host": host}}).panel.host == host


def test_the_data_directory_is_made_or_refused_naming_the_option(tmp_path):
    made = prepare_data_dir(parse_config({"station": {"data_dir": str(tmp_path / "a" / "b")}}))
    assert made.is_dir()
    file = tmp_path / "station.db"
    file.write_text("")
    for path, reason in ((file, "is a file, not a folder"), (file / "data", "cannot be created")):
        config = parse_config({"station": {"data_dir": str(path)}})
        with pytest.raises(ConfigError, match=rf"\[station\] data_dir = '{path}' {reason}"):
            prepare_data_dir(config)


def test_every_simulated_profile_can_be_chosen():
    """The config names the simulated patients itself (reading a config imports nothing of
    hw, so the panel process never does); a profile added to hw.sim.profiles must be added
    there too."""
    from hw.sim.profiles import PROFILES

    assert set(SIM_PROFILES) == set(PROFILES)


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[panel\nport = 1")
    with pytest.raises(ConfigError, match=f"config {bad} is not valid TOML"):
        load_config(bad)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[panel]\nport = 0\n")
    with pytest.raises(ConfigError, match=rf"config {wrong}: \[panel\] port = 0 is below"):
        load_config(wrong)


def test_full_pi_config_and_overrides(tmp_path):
    path = tmp_path / "station.toml"
    path.write_text(
        '[station]\nhardware = "pi"\ndata_dir = "~/bal"\n'
        "[loadcells]\ntare_counts = [1, 2, 3, 4]\ngain_n_per_count = [0.1, 0.1, 0.1, 0.1]\n"
        "channels = [4, 5, 6, 7]\n"
    )
    config = load_config(path, {"panel": {"port": 8181}})
    assert config.station.hardware == "pi"
    assert config.station.data_dir == Path("~/bal").expanduser()
    assert config.loadcells.tare_counts == (1.0, 2.0, 3.0, 4.0)
    assert config.loadcells.channels == (4, 5, 6, 7)
    assert config.panel.port == 8181
    assert config.as_dict()["loadcells"]["gain_n_per_count"] == (0.1,) * 4


def test_amplifier_sets_the_default_rate_and_frees_the_i2c_pins():
    assert parse_config({}).loadcells.rate_sps == 320
    hx = parse_config({"loadcells": {"amplifier": "hx711"}, "imu": {"enabled": False}})
    assert hx.loadcells.rate_sps == 80
    # no I2C chip fitted: GPIO 2 and 3 are free for cues
    parse_config(
        {"loadcells": {"amplifier": "hx711"}, "imu": {"enabled": False}, "cues": {"buzzer_pin": 2}}
    )


def test_example_config_is_valid():
    example = Path(__file__).parents[2] / "deploy" / "station.example.toml"
    config = load_config(example)
    assert config.station.hardware == "sim"


def test_the_panel_reads_loadcells_as_given_and_leaves_them_to_the_core():
    """The panel process imports nothing of hw, so it reads ``[loadcells]`` without the
    amplifiers: their options as given, unchecked, their defaults unset; the core (with
    ``hw.amplifiers``) refuses what is wrong."""
    from station.config import parse_config as panel_parse

    raw = {"loadcells": {"amplifier": "hx711", "rate_sps": 320, "hx711_clock_pin": 17}}
    panel = panel_parse(raw, amplifiers=None)
    assert panel.amplifiers is None
    cells = panel.loadcells
    assert (cells.amplifier, cells.rate_sps, cells.hx711_clock_pin, cells.gain) == (
        "hx711",
        320,
        17,
        None,
    )
    with pytest.raises(ConfigError, match="rate_sps = 320 is not a rate of the hx711"):
        parse_config(raw)
    with pytest.raises(ConfigError, match=r"unknown option \[panel\] prot"):
        panel_parse({"panel": {"prot": 80}}, amplifiers=None)
    assert panel_parse({}, amplifiers=None).loadcells.rate_sps is None


def test_no_hub_by_default_and_a_hub_with_its_files_as_paths():
    assert parse_config({}).hub.host == ""
    hub = parse_config(
        {
            "hub": {
                "host": "hub.clinic.lan",
                "station_id": "room-1",
                "password_file": "~/hub-password",
                "ca_file": "/etc/balance-station/clinic-ca.crt",
            }
        }
    ).hub
    assert hub.password_file == Path("~/hub-password").expanduser()
    assert hub.ca_file == Path("/etc/balance-station/clinic-ca.crt") and hub.port == 5432
