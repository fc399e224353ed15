"""Several app nodes behind HAProxy on loopback, as on separate machines.

    with Cluster(database_url, nodes=2, workdir=path) as cluster:
        cluster.base_url          # HAProxy, which health-checks /healthz
        cluster.nodes[0].base_url # one node directly
        cluster.nodes[0].kill(); cluster.nodes[0].start()
        cluster.redis.restart()

What runs (each a process of its own, stopped when the block ends):
  - redis-server on a free port, without persistence, for the "pages" cache
    alias (config/cache.py); never the machine's own Redis on 6379;
  - N gunicorn nodes started as the image starts them (config/gunicorn.conf.py,
    so the node checks of config/node_checks.py run), with production
    settings (bench.scale_settings: the production settings plus a
    measuring middleware), the same DJANGO_SECRET_KEY and
    RENKEI_SETTINGS_VERSION, and a MEDIA root and TMPDIR of their own, so
    that nothing one node keeps on its disk is seen by another;
  - HAProxy on a free port: round robin, `option httpchk GET /healthz` every
    second, a node out after 2 failed checks and back after 2 good ones,
    a request whose connection a dead node refuses sent to another node;
    it sets X-Forwarded-Proto: https as the TLS-terminating proxy would and
    appends the client's address to X-Forwarded-For (two proxies: the
    members send the address the outer proxy would have added);
  - the task worker, `manage.py db_worker`.

Shared between the nodes and nothing else: PostgreSQL (sessions, sign-in
limits, tasks, the change counter that keys the account cache), Redis (the
signed-in accounts) and, when `object_store` is given, the S3 bucket for media.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.server import BASE_DIR, GUNICORN, collect_static, healthy, production_env

HAPROXY = shutil.which("haproxy") or (
    "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
)
REDIS_SERVER = shutil.which("redis-server")
SETTINGS = "bench.scale_settings"
SETTINGS_VERSION = "scale-test"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process, *, kill=False, timeout=15):
    """Stop a process started in a session of its own, with its children."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for_port(port, process, what, log=None, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None:
            detail = Path(log).read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"{what} exited ({process.returncode}):\n{detail}")
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not open port {port} within {timeout} s")


class Redis:
    """A redis-server of the cluster's own, restarted on the same port."""

    def __init__(self, workdir):
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = Path(workdir) / "redis.log"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxmemory",
                "256mb",
                "--maxmemory-policy",
                "allkeys-lru",
            ],
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.port, self.process, "redis-server", self.log)

    def stop(self):
        _stop(self.process)

    def restart(self, pause=2.0):
        self.stop()
        time.sleep(pause)
        self.start()

    def used_memory(self):
        import redis

        info = redis.Redis.from_url(self.url).info("memory")
        return info["used_memory"]

    def keys(self):
        import redis

        return redis.Redis.from_url(self.url).dbsize()


class Node:
    """One app node: gunicorn, as the image starts it, on a port of its own."""

    def __init__(self, name, workdir, env, *, workers):
        self.name = name
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.dir = Path(workdir) / name
        self.media = self.dir / "media"
        self.tmp = self.dir / "tmp"
        for path in (self.media, self.tmp):
            path.mkdir(parents=True, exist_ok=True)
        self.log = self.dir / "gunicorn.log"
        self.env = {
            **env,
            "DJANGO_MEDIA_ROOT": str(self.media),
            "TMPDIR": str(self.tmp),
        }
        self.workers = workers
        self.process = None
        self.starts = 0

    def command(self):
        return [
            GUNICORN,
            "config.wsgi",
            "--config",
            "config/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--access-logfile",
            "/dev/null",
        ]

    def spawn(self, env=None):
        """Start gunicorn and return at once (see wait_healthy)."""
        self.starts += 1
        self.process = subprocess.Popen(
            self.command(),
            cwd=BASE_DIR,
            env=env or self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("a"),
            start_new_session=True,
        )
        return self.process

    def wait_healthy(self, timeout=90):
        deadline = time.monotonic() + timeout
        while not healthy(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited ({self.process.returncode}):\n"
                    + self.log.read_text(errors="replace")[-3000:]
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer /healthz in time")
            time.sleep(0.2)

    def start(self):
        self.spawn()
        self.wait_healthy()

    def kill(self):
        """SIGKILL to the master and its workers: the machine is gone."""
        _stop(self.process, kill=True)

    def stop(self):
        _stop(self.process)

    def cpu_seconds(self):
        """CPU time of the node's processes so far: the master's own and its
        reaped workers' (cutime, cstime), plus the workers alive now."""
        if self.process is None or self.process.poll() is not None:
            return 0.0
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        master = self.process.pid
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid = int(stat.parent.name), int(fields[1])
            if pid == master:
                total += sum(int(value) for value in fields[11:15])
            elif ppid == master:
                total += int(fields[11]) + int(fields[12])
        return total / tick


class LoadBalancer:
    """HAProxy in front of the nodes, health-checking /healthz."""

    def __init__(self, workdir, nodes):
        if HAPROXY is None:
            raise RuntimeError("haproxy is not installed")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.dir = Path(workdir) / "haproxy"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config = self.dir / "haproxy.cfg"
        self.socket = self.dir / "admin.sock"
        self.log = self.dir / "haproxy.log"
        self.nodes = nodes
        self.process = None

    def write_config(self):
        workers = self.nodes[0].workers
        servers = "\n".join(
            f"    server {node.name} 127.0.0.1:{node.port} check" for node in self.nodes
        )
        self.config.write_text(
            f"""# Written by bench/cluster.py; deploy/haproxy.cfg is the deployed one.
global
    maxconn 4096
    stats socket {self.socket} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 40s
    timeout http-keep-alive 10s
    # A probe slower than this counts as failed.
    timeout check 3s
    # A request a dead node refused to connect is sent to another node;
    # one it may have begun is not (it could be a post, saved twice).
    retries 3
    retry-on conn-failure
    option redispatch 1

frontend web
    bind 127.0.0.1:{self.port}
    option forwardfor
    http-request set-header X-Forwarded-Proto https
    default_backend nodes

backend nodes
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    # No more requests to a node than it has workers: the rest wait here,
    # where they can still go to another node, and the health probe never
    # waits behind a queue inside a busy node.
    timeout queue 30s
    # A connection a node refuses takes it out at once, not after two
    # probes: otherwise the retries go to it again, the one node with free
    # slots, and end in a 503.
    default-server inter 1s fastinter 500ms downinter 1s fall 2 rise 2
    default-server maxconn {workers} observe layer4 error-limit 1 on-error mark-down
{servers}
"""
        )

    def start(self):
        self.write_config()
        check = subprocess.run(
            [HAPROXY, "-c", "-q", "-f", str(self.config)],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode:
            raise RuntimeError("haproxy refused its config:\n" + check.stderr)
        self.process = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(self.config)],
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.port, self.process, "haproxy", self.log)

    def stop(self):
        _stop(self.process)

    def servers(self):
        """Per node: status (UP/DOWN) and responses served, from the stats."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.socket))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        result = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") == "nodes" and row["svname"] not in {
                "FRONTEND",
                "BACKEND",
            }:
                responses = sum(
                    int(row.get(f"hrsp_{kind}") or 0)
                    for kind in ("1xx", "2xx", "3xx", "4xx", "5xx", "other")
                )
                result[row["svname"]] = {
                    "status": row["status"],
                    "responses": responses,
                    "5xx": int(row.get("hrsp_5xx") or 0),
                }
        return result

    def wait_status(self, name, status, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.servers().get(name, {}).get("status", "").startswith(status):
                return
            time.sleep(0.2)
        raise RuntimeError(f"haproxy did not see {name} {status} in {timeout} s")


class TaskWorker:
    """`manage.py db_worker`, the one process that runs background tasks."""

    def __init__(self, workdir, env):
        self.env = env
        self.log = Path(workdir) / "worker.log"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--queue-name", "default"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self):
        _stop(self.process)


class MailSink:
    """An SMTP server that accepts every message and keeps none, so that
    the notification mail the posts cause is sent, not failed."""

    def __init__(self, workdir):
        self.port = free_port()
        self.log = Path(workdir) / "smtp.log"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-c",
                "aiosmtpd.handlers.Sink",
                "-l",
                f"127.0.0.1:{self.port}",
            ],
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.port, self.process, "the SMTP sink", self.log)

    def stop(self):
        _stop(self.process)


class Cluster:
    """Redis, the nodes, HAProxy and the task worker on one database."""

    def __init__(
        self,
        database_url,
        *,
        workdir,
        nodes=2,
        workers=2,
        object_store_env=None,
        replica_url=None,
        secret_key=None,
        with_worker=True,
    ):
        self.workdir = Path(workdir)
        self.redis = Redis(self.workdir)
        self.mail = MailSink(self.workdir)
        extra = dict(object_store_env or {})
        if replica_url:
            extra["DATABASE_REPLICA_URL"] = replica_url
        overrides = {
            "REDIS_URL": self.redis.url,
            "RENKEI_SETTINGS_VERSION": SETTINGS_VERSION,
            # The outer TLS proxy and HAProxy both append to X-Forwarded-For.
            "DJANGO_TRUSTED_PROXY_COUNT": "2",
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            "DJANGO_EMAIL_HOST": "127.0.0.1",
            "DJANGO_EMAIL_PORT": str(self.mail.port),
            **extra,
        }
        if secret_key:
            overrides["DJANGO_SECRET_KEY"] = secret_key
        self.env = production_env(database_url, SETTINGS, **overrides)
        self.nodes = [
            Node(f"node{number}", self.workdir, self.env, workers=workers)
            for number in range(1, nodes + 1)
        ]
        self.balancer = LoadBalancer(self.workdir, self.nodes)
        self.worker = TaskWorker(self.workdir, self.env) if with_worker else None
        self.base_url = self.balancer.base_url

    def __enter__(self):
        try:
            (BASE_DIR / "var").mkdir(exist_ok=True)
            collect_static(self.env)
            self.redis.start()
            self.mail.start()
            for node in self.nodes:
                node.spawn()
            for node in self.nodes:
                node.wait_healthy()
            self.balancer.start()
            for node in self.nodes:
                self.balancer.wait_status(node.name, "UP")
            if self.worker:
                self.worker.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self.worker:
            self.worker.stop()
        self.balancer.stop()
        for node in self.nodes:
            node.stop()
        self.redis.stop()
        self.mail.stop()
