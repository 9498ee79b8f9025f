"""Panel accounts on the station's database: rules, hashing, logins, the audit log, the CLI."""

import io
import json

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from station.cli.main import main
from station.errors import NotFoundError
from station.records.accounts import AccountError, Accounts, LoginError
from station.storage.database import Storage

PASSWORD = "correct horse battery"
FAST = PasswordHasher.from_parameters(CHEAPEST)


@pytest.fixture
def accounts(storage):
    return Accounts(storage, FAST)


@pytest.mark.parametrize(
    "username, password, role, field, message",
    [
        ("al", PASSWORD, "therapist", "username", "use 3 to 40 characters"),
        ("x" * 41, PASSWORD, "therapist", "username", "use 3 to 40 characters"),
        ("anna smith", PASSWORD, "therapist", "username", "letters, digits, dot"),
        ("anna<b>", PASSWORD, "therapist", "username", "letters, digits, dot"),
        ("anna", "short", "therapist", "password", "use at least 10 characters"),
        ("anna.smith", "Anna.Smith", "therapist", "password", "must not be the username"),
        ("anna", None, "therapist", "password", "use at least 10 characters"),
        ("anna", PASSWORD, "admin", "role", "choose therapist or technician"),
    ],
)
def test_rules_are_explained_naming_the_field(accounts, username, password, role, field, message):
    with pytest.raises(AccountError) as error:
        accounts.create(username, password, role)
    assert error.value.field == field
    assert str(error.value).startswith(f"{field}: ") and message in str(error.value)
    assert not accounts.has_any()


def test_create_and_log_in_with_the_hash_never_exposed(accounts, storage):
    assert not accounts.has_any()
    made = accounts.create(" Anna.Smith ", PASSWORD, "therapist", by="tom")
    assert accounts.has_any()
    assert (made["username"], made["role"], made["active"]) == ("anna.smith", "therapist", True)
    assert "password_hash" not in made and made["last_login_at"] is None
    stored = storage.query("SELECT password_hash FROM users")[0]["password_hash"]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(AccountError, match=r"username: anna\.smith is taken"):
        accounts.create("ANNA.SMITH", PASSWORD, "technician")
    logged = accounts.authenticate("Anna.Smith", PASSWORD, "10.0.0.9")
    assert logged["id"] == made["id"] and logged["last_login_at"] is not None
    assert [a["username"] for a in accounts.list_accounts()] == ["anna.smith"]
    assert all("password_hash" not in a for a in accounts.list_accounts())
    assert [
        (e["username"], e["action"], e["target"], e["detail"]) for e in accounts.recent_audit()
    ] == [
        ("anna.smith", "login", "anna.smith", None),
        ("tom", "account-created", "anna.smith", "role therapist"),
    ]
    assert accounts.recent_audit(1)[0]["address"] == "10.0.0.9"


def test_refused_logins_say_nothing_about_which_part_was_wrong(accounts):
    accounts.create("anna", PASSWORD, "therapist")
    for username, password in (("anna", "wrong password"), ("nobody", PASSWORD), ("anna", None)):
        with pytest.raises(LoginError, match=r"^wrong username or password$"):
            accounts.authenticate(username, password)
    entries = [(e["target"], e["detail"]) for e in accounts.recent_audit(3)]
    assert entries == [
        ("anna", "wrong password"),
        # what was typed as an unknown username is often a password: never written down
        (None, "unknown username (not recorded: it may be a password typed there)"),
        ("anna", "wrong password"),
    ]


def test_a_deactivated_account_cannot_log_in_until_reactivated(accounts):
    accounts.create("tom", PASSWORD, "technician")
    accounts.create("anna", PASSWORD, "therapist")
    assert accounts.set_active("anna", False, by="tom")["active"] is False
    with pytest.raises(LoginError, match="deactivated: ask a technician"):
        accounts.authenticate("anna", PASSWORD)
    accounts.set_active("anna", True, by="tom")
    assert accounts.authenticate("anna", PASSWORD)["username"] == "anna"
    with pytest.raises(NotFoundError, match="no account called 'ghost'"):
        accounts.set_active("ghost", False, by="tom")


def test_the_last_active_technician_cannot_be_deactivated(accounts):
    accounts.create("tom", PASSWORD, "technician")
    with pytest.raises(AccountError) as error:
        accounts.set_active("tom", False, by="tom")
    assert error.value.field == "active" and "last active technician" in str(error.value)
    accounts.create("tina", PASSWORD, "technician")
    accounts.set_active("tom", False, by="tina")
    with pytest.raises(AccountError):
        accounts.set_active("tina", False, by="tina")


def test_a_new_password_ends_the_accounts_sessions_and_the_old_one_stops_working(accounts):
    anna = accounts.create("anna", PASSWORD, "therapist")
    tablet, laptop = (accounts.sessions.open(anna["id"], "10.0.0.5") for _ in range(2))
    assert accounts.sessions.account(tablet)["username"] == "anna"
    accounts.set_password("anna", "another password", by="tom")
    assert not accounts.sessions.is_open(tablet) and not accounts.sessions.is_open(laptop)
    with pytest.raises(LoginError):
        accounts.authenticate("anna", PASSWORD)
    accounts.authenticate("anna", "another password")
    with pytest.raises(AccountError, match="current: this is not your current password"):
        accounts.change_own_password("anna", PASSWORD, "third password!")
    accounts.change_own_password("anna", "another password", "third password!")
    changes = [e["detail"] for e in accounts.recent_audit() if e["action"] == "account-changed"]
    assert changes == ["password changed", "password reset"]


def test_sessions_end_on_logout_and_deactivation_and_only_a_digest_is_stored(accounts, storage):
    anna = accounts.create("anna", PASSWORD, "therapist")
    accounts.create("tom", PASSWORD, "technician")
    first, second = (accounts.sessions.open(anna["id"], "10.0.0.5") for _ in range(2))
    stored = [r["id"] for r in storage.query("SELECT id FROM sessions")]
    assert len(stored) == 2 and first not in stored and second not in stored
    accounts.sessions.close(first)
    assert not accounts.sessions.is_open(first) and accounts.sessions.is_open(second)
    accounts.set_active("anna", False, by="tom")
    assert not accounts.sessions.is_open(second)
    assert accounts.sessions.account("not a token") is None


def test_hashes_are_upgraded_at_login_when_the_parameters_change(storage):
    Accounts(storage, FAST).create("anna", PASSWORD, "therapist")
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    Accounts(storage, stronger).authenticate("anna", PASSWORD)
    stored = storage.query("SELECT password_hash FROM users")[0]["password_hash"]
    assert "m=16,t=2,p=1" in stored
    assert not stronger.check_needs_rehash(stored)
    Accounts(storage, stronger).authenticate("anna", PASSWORD)  # still the same password


def test_first_run_setup_makes_one_technician_only(accounts):
    first = accounts.create_first("Tom", PASSWORD)
    assert (first["username"], first["role"]) == ("tom", "technician")
    with pytest.raises(AccountError, match="setup is done"):
        accounts.create_first("eve", PASSWORD)
    assert [a["username"] for a in accounts.list_accounts()] == ["tom"]


def test_other_modules_audit_with_one_call(accounts):
    accounts.audit("anna", "export", "trial 3f2a", "raw samples CSV")
    accounts.audit(None, "login-failed")
    newest, older = accounts.recent_audit(2)
    assert (newest["username"], newest["target"], newest["detail"]) == (None, None, None)
    assert (older["action"], older["target"]) == ("export", "trial 3f2a")
    assert len(accounts.recent_audit(1)) == 1


# --- the command line ----------------------------------------------------------------------------
@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "station.toml"
    path.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n')
    return path


def test_cli_adds_an_account_reading_the_password_from_stdin(
    config_file, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code = main(["accounts", "add", "Tom", "--role", "technician", "--config", str(config_file)])
    assert code == 0
    assert capsys.readouterr().out == "added technician account tom\n"
    storage = Storage(tmp_path / "data" / "station.db")
    try:
        assert Accounts(storage).authenticate("tom", PASSWORD)["role"] == "technician"
    finally:
        storage.close()
    assert main(["accounts", "list", "--config", str(config_file), "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["username"], row["role"], row["active"]) == ("tom", "technician", True)
    assert main(["accounts", "list", "--config", str(config_file)]) == 0
    assert capsys.readouterr().out.split()[:3] == ["tom", "technician", "active"]


def test_cli_explains_a_bad_password_and_a_missing_database(config_file, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code = main(["accounts", "add", "tom", "--role", "technician", "--config", str(config_file)])
    assert code == 2
    assert "error: password: use at least 10 characters" in capsys.readouterr().err
    empty = config_file.parent / "empty.toml"
    empty.write_text(f'[station]\ndata_dir = "{config_file.parent / "nowhere"}"\n')
    assert main(["accounts", "list", "--config", str(empty)]) == 2
    assert "no database at" in capsys.readouterr().err


def test_cli_asks_twice_on_a_terminal(config_file):
    from station.cli.accounts import read_password

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    answers = iter([PASSWORD, PASSWORD + "!"])
    with pytest.raises(AccountError, match="the two passwords differ"):
        read_password(Terminal(), lambda prompt: next(answers))
    answers = iter([PASSWORD, PASSWORD])
    assert read_password(Terminal(), lambda prompt: next(answers)) == PASSWORD
