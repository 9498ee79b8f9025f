"""A config the station cannot run on, given to the real commands: every one stops with exit
code 2 (systemd's RestartPreventExitStatus: a config error is not restarted) and a message
naming the section and option, never a traceback or a bare errno. Issue 15, finding 8: NaN
passed every range check, an unusable data directory or a port in use ended with exit code 1,
and a backup into a folder it cannot write ended in a traceback."""

import socket

import pytest

pytestmark = pytest.mark.faults

REFUSED = [
    ("[station]\nloop_rate_hz = nan", r"[station] loop_rate_hz = nan is not a number"),
    ("[imu]\nrate_hz = nan", r"[imu] rate_hz = nan is not a number"),
    ("[platform]\nlive_filter_hz = nan", r"[platform] live_filter_hz = nan is not a number"),
    ("[platform]\nwidth_mm = nan", r"[platform] width_mm = nan is not a number"),
    ("[platform]\ndepth_mm = inf", r"[platform] depth_mm = inf is not a number"),
    ("[platform]\nstep_on_n = nan", r"[platform] step_on_n = nan is not a number"),
    ("[platform]\nstep_off_n = nan", r"[platform] step_off_n = nan is not a number"),
    ("[platform]\nmin_load_n = nan", r"[platform] min_load_n = nan is not a number"),
    ("[platform]\norigin_ml_mm = nan", r"[platform] origin_ml_mm = nan is not a number"),
    ("[sim]\nstep_on_at_s = nan", r"[sim] step_on_at_s = nan is not a number"),
    ('[panel]\nhost = "256.1.1.1"', "[panel] host = '256.1.1.1' is not an IP address"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp_path, data_dir, toml: str = "", port: int | None = None):
    """A config file on ``data_dir`` with ``toml`` after it (``port`` for the panel)."""
    path = tmp_path / "station.toml"
    station = f'[station]\ndata_dir = "{data_dir}"\n'
    if toml.startswith("[station]"):  # one [station] table: the data_dir goes into it
        station, toml = f'{toml}\ndata_dir = "{data_dir}"\n', ""
    panel = f"[panel]\nport = {port or free_port()}\n"
    if toml.startswith("[panel]"):
        panel, toml = f"{toml}\nport = {port or free_port()}\n", ""
    path.write_text(f"{station}{panel}{toml}\n")
    return path


def refused(proc, timeout_s: float = 60) -> str:
    """The stderr of a command that must stop with exit code 2 and no traceback."""
    code = proc.wait(timeout=timeout_s)
    err = proc.stderr.read()
    assert code == 2, err
    assert "Traceback" not in err and "[Errno" not in err, err
    return err


@pytest.mark.parametrize("toml, message", REFUSED, ids=[m.split(" =")[0] for _, m in REFUSED])
def test_a_value_that_is_no_number_or_no_address_is_refused(spawn, tmp_path, toml, message):
    config = write_config(tmp_path, tmp_path / "data", toml)
    err = refused(spawn("core", "--config", config))
    assert message in err


@pytest.mark.parametrize("command", ["panel", "run", "backup"])
def test_every_command_reads_the_config_the_same_way(spawn, tmp_path, command):
    toml, message = REFUSED[0]
    config = write_config(tmp_path, tmp_path / "data", toml)
    assert message in refused(spawn(command, "--config", config))


def test_a_data_directory_the_station_cannot_use_is_refused_naming_it(spawn, tmp_path):
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    cases = [(a_file, "is a file, not a folder"), (a_file / "data", "cannot be created")]
    for data_dir, reason in cases:
        config = write_config(tmp_path, data_dir)
        for command in ("core", "panel", "run"):
            err = refused(spawn(command, "--config", config))
            assert f"[station] data_dir = '{data_dir}' {reason}" in err, (command, err)


def test_a_port_in_use_stops_the_station_naming_the_port(spawn, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path, tmp_path / "data", port=port)
        err = refused(spawn("run", "--config", config))  # the panel refuses, the core stops too
        assert f"[panel] port = {port}: another program (or another station) already" in err
        assert "the panel process" in err and "refused to start" in err
        err = refused(spawn("panel", "--config", config))
        assert f"[panel] port = {port}: another program" in err


def test_a_backup_into_a_folder_it_cannot_write_says_which(spawn, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    config = write_config(tmp_path, data_dir)
    migrate = spawn("migrate", "--config", config)
    assert migrate.wait(timeout=60) == 0, migrate.stderr.read()
    (data_dir / "backups").write_text("")  # where the backups go is taken by a file
    backup = spawn("backup", "--config", config)
    code = backup.wait(timeout=60)
    err = backup.stderr.read()
    assert code != 0 and "Traceback" not in err and "[Errno" not in err, err
    assert f"cannot write the backup into {data_dir / 'backups'}" in err
