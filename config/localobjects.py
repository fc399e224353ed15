"""An S3-compatible object store on loopback, for tests and the scale test.

    with object_store() as store:
        create_private_bucket(store, "renkei-media")
        env = store.environ("renkei-media")   # RENKEI_MEDIA_S3_* for a node
        store.refuse()                         # the store is down ...
        store.accept()                         # ... and back, objects kept

The store is moto's server mode (a development dependency), on a free port
of 127.0.0.1. Clients reach it through a small TCP gate on a port of its
own: refuse() closes the gate and every connection through it, so clients
get "connection refused" as from a store that is down, while moto keeps
its objects in memory for when accept() opens the gate again. Stopping
moto itself would lose them.
"""

import contextlib
import importlib.util
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import boto3
from botocore.config import Config

HOST = "127.0.0.1"
ACCESS_KEY = "renkei-local"
SECRET_KEY = "renkei-local-secret"  # noqa: S105 (a throwaway local store)
REGION = "ap-northeast-1"


def moto_available():
    """Whether moto's server mode can be started here."""
    return importlib.util.find_spec("moto") is not None


def free_port(host=HOST):
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class _Gate:
    """A TCP forwarder from `port` to `target` that can be shut and opened."""

    def __init__(self, port, target):
        self.port = port
        self.target = target
        self._listener = None
        self._sockets = set()
        self._lock = threading.Lock()
        self._thread = None

    @property
    def is_open(self):
        return self._listener is not None

    def open(self):
        if self._listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(64)
        self._listener = listener
        self._thread = threading.Thread(
            target=self._accept, args=(listener,), daemon=True
        )
        self._thread.start()

    def close(self):
        listener, self._listener = self._listener, None
        if listener is None:
            return
        self._thread.join()
        listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener):
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            while self._listener is listener:
                if not selector.select(timeout=0.05):
                    continue
                try:
                    client, _address = listener.accept()
                except OSError:
                    continue
                try:
                    upstream = socket.create_connection((HOST, self.target))
                except OSError:
                    client.close()
                    continue
                with self._lock:
                    self._sockets.update((client, upstream))
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(
                        target=self._pump, args=(source, sink), daemon=True
                    ).start()

    def _pump(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._sockets.discard(source)
                self._sockets.discard(sink)
            source.close()


@dataclass
class ObjectStore:
    """A running local store: where it answers and with which keys."""

    endpoint_url: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION
    _gate: _Gate = field(repr=False, default=None)

    def client(self):
        """A boto3 S3 client of the store (path-style, like the site's)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"mode": "standard", "max_attempts": 2},
                connect_timeout=3,
            ),
        )

    def environ(self, bucket):
        """The RENKEI_MEDIA_S3_* variables for a site using `bucket`."""
        return {
            "RENKEI_MEDIA_S3_BUCKET": bucket,
            "RENKEI_MEDIA_S3_ENDPOINT_URL": self.endpoint_url,
            "RENKEI_MEDIA_S3_REGION": self.region,
            "RENKEI_MEDIA_S3_ACCESS_KEY_ID": self.access_key,
            "RENKEI_MEDIA_S3_SECRET_ACCESS_KEY": self.secret_key,
        }

    def storage_options(self, bucket):
        """OPTIONS for config.bucket.BucketStorage (settings.RENKEI_MEDIA_S3)."""
        return {
            "bucket_name": bucket,
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
        }

    def refuse(self):
        """Shut the store: new and open connections are refused."""
        self._gate.close()

    def accept(self):
        """Open the store again, with the objects it had."""
        self._gate.open()


def _wait_for(port, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the object store exited ({process.returncode})")
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the object store did not listen on port {port}")


@contextlib.contextmanager
def object_store(port=None) -> Iterator[ObjectStore]:
    """Start moto's S3 server on loopback; stop it on leaving.

    `port` is where clients connect (the gate); moto listens on another
    free port behind it.
    """
    if not moto_available():
        raise RuntimeError("moto is not installed (pip install 'moto[server]')")
    moto_port = free_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY}
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(moto_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    gate = _Gate(port or free_port(), moto_port)
    try:
        _wait_for(moto_port, process)
        gate.open()
        yield ObjectStore(endpoint_url=f"http://{HOST}:{gate.port}", _gate=gate)
    finally:
        gate.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def create_private_bucket(store, name):
    """A bucket as the site wants it: no public grant, no policy, and the
    public access block on."""
    client = store.client()
    client.create_bucket(
        Bucket=name,
        CreateBucketConfiguration={"LocationConstraint": store.region},
    )
    client.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    return name
