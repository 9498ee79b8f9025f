"""A throwaway PostgreSQL cluster for the hub's tests and benchmarks: Debian's server
(``apt-get install postgresql``, which ``deploy/test.sh`` does), initialised in a temporary
folder of its own, listening on 127.0.0.1 at a free port with SCRAM passwords only, and run
as an unprivileged user when started by root (PostgreSQL refuses to run as root)."""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ADMIN = "hub_admin"
UNPRIVILEGED = "nobody"  # who runs the server when the tests run as root


def server_bin(name: str) -> str:
    """The path of PostgreSQL's ``name`` (initdb, pg_ctl): Debian keeps them out of PATH, in
    /usr/lib/postgresql/<version>/bin; the newest version installed wins."""
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(Path(path).parts[-3]),
    )
    path = found[-1] if found else shutil.which(name)
    if path is None:
        raise RuntimeError(f"PostgreSQL's {name} is missing: run 'apt-get install postgresql'")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A cluster in a temporary folder of its own (about 50 MB), its superuser ``ADMIN`` with
    ``password``; ``start``, ``stop`` (fast or, with ``kill=True``, SIGKILL of the postmaster,
    as a power cut; a stopped cluster starts again with its data) and ``dsn`` for a user of it.
    As a context manager it is started on entry, stopped and its folder removed on exit. With
    ``tls``, a clinic's CA of its own (``ca_file``) signs the server's certificate (for
    127.0.0.1 and localhost) and connections over TCP must use TLS."""

    def __init__(self, password: str = "hub admin password", tls: bool = False):
        self.folder = Path(tempfile.mkdtemp(prefix="hub-cluster-"))
        self.data = self.folder / "data"
        self.password = password
        self.port = free_port()
        self._as = [] if os.geteuid() != 0 else ["setpriv", *self._unprivileged()]
        self.ca_file = self.folder / "clinic-ca.crt" if tls else None
        try:
            self._initdb(password, tls)
        except BaseException:  # no server to stop: only the folder to take back
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def _initdb(self, password: str, tls: bool) -> None:
        """The cluster's data folder, its configuration and, with ``tls``, its certificates."""
        pwfile = self.folder / "pwfile"
        pwfile.write_text(password + "\n")
        if os.geteuid() == 0:
            user = pwd.getpwnam(UNPRIVILEGED)
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        self._run(
            server_bin("initdb"),
            "-D",
            str(self.data),
            "-U",
            ADMIN,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
        )
        pwfile.unlink()
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.folder}'\nfsync = off\n"
                "max_connections = 200\nshared_buffers = 64MB\n"
            )
        if tls:
            self._tls()

    def _tls(self) -> None:
        """The clinic's CA (``ca_file``), the server's key and certificate signed by it, and
        pg_hba.conf accepting TCP connections over TLS only."""
        ca_key = make_ca(self.folder, self.ca_file, "Test Clinic CA")
        key, request = self.folder / "server.key", self.folder / "server.csr"
        cert = self.data / "server.crt"
        _openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(request),
        )
        names = self.folder / "names.ext"
        names.write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\n")
        _openssl(
            "x509",
            "-req",
            "-in",
            str(request),
            "-CA",
            str(self.ca_file),
            "-CAkey",
            str(ca_key),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            str(names),
            "-out",
            str(cert),
        )
        shutil.move(key, self.data / "server.key")
        for path in (self.data / "server.key", cert):
            path.chmod(0o600)
            if os.geteuid() == 0:
                user = pwd.getpwnam(UNPRIVILEGED)
                os.chown(path, user.pw_uid, user.pw_gid)
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("ssl = on\n")
        hba = self.data / "pg_hba.conf"
        hba.write_text(
            "local all all scram-sha-256\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256\n"
            "hostnossl all all 0.0.0.0/0 reject\n"
        )

    @staticmethod
    def _unprivileged() -> list[str]:
        user = pwd.getpwnam(UNPRIVILEGED)
        return [f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--"]

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self._as, *command], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stdout}{done.stderr}")

    def __enter__(self) -> "Cluster":
        try:
            self.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self) -> None:
        log = self.folder / "server.log"
        self._run(server_bin("pg_ctl"), "-D", str(self.data), "-l", str(log), "-w", "start")

    def stop(self, kill: bool = False) -> None:
        """Stop the server: a fast shutdown, or SIGKILL of the postmaster (``kill``), which
        PostgreSQL recovers from at the next start as after a power cut."""
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return
        if kill:  # the postmaster and every backend at once, as a power cut
            postmaster = int(pid_file.read_text().split()[0])
            for pid in (postmaster, *_children(postmaster)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
            _wait_dead((postmaster,))
            # nobody may reap them here (a container's PID 1), and a zombie's PID still looks
            # like a running postmaster: the lock files go with the processes, as at power-off
            pid_file.unlink()
            for lock in self.folder.glob(f".s.PGSQL.{self.port}*"):
                lock.unlink()
            return
        self._run(server_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def dsn(self, user: str = ADMIN, password: str | None = None, dbname: str = "postgres") -> str:
        """A libpq connection string for ``user`` over TCP (SCRAM)."""
        secret = self.password if password is None else password
        return (
            f"host=127.0.0.1 port={self.port} dbname={dbname} user={user} "
            f"password='{secret}' connect_timeout=5"
        )


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (a postmaster's backends and helpers)."""
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(Path(stat).parent.name))
    return found


def _wait_dead(pids, timeout_s: float = 10.0) -> None:
    """Until every process of ``pids`` is gone or a zombie."""
    deadline = time.monotonic() + timeout_s
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                break
            if state == "Z":
                break
            time.sleep(0.02)


def make_ca(folder: Path, cert: Path, name: str) -> Path:
    """A certificate authority named ``name``: its self-signed certificate at ``cert`` and its
    key in ``folder`` (returned)."""
    key = folder / f"{cert.stem}.key"
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        f"/CN={name}",
        "-keyout",
        str(key),
        "-out",
        str(cert),
    )
    return key


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)
