"""Requests per second of the key pages under gunicorn, measured with wrk.

bench.measure --throughput starts gunicorn with production settings on
loopback (bench.server), signs in through the sign-in form, checks that
every page answers 200, then runs wrk against each page in turn for a fixed
time with a few connections. The first page is /bench/floor, a view that
does nothing (bench/urls.py): every other page is reported as a share of
its requests per second.

wrk sends the session cookie and "X-Forwarded-Proto: https" from a short
Lua script, as the reverse proxy in front of gunicorn would. Where wrk is not
installed, a client of the same shape (one process per connection, each
sending its requests one after the other) does it in Python; it costs more
CPU than wrk, so its figures are lower, but ratios within one run still
compare pages.

memory() sends a mix of pages many times and reads the resident memory of
each gunicorn worker every so many requests, to show what a worker holds and
whether it grows.
"""

import multiprocessing
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from bench.server import login, request, serve

FLOOR_URL = "/bench/floor"
SCRIPT = """\
wrk.headers["Cookie"] = "{cookie}"
wrk.headers["X-Forwarded-Proto"] = "https"
"""
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Result:
    requests_per_second: float
    latency_ms: float  # wrk's mean latency
    requests: int
    errors: int


def _milliseconds(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * UNITS[unit]


def parse(output):
    """The figures of one wrk run, from its text output."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    latency = re.search(r"Latency\s+(\S+)", output)
    total = re.search(r"(\d+) requests in", output)
    if not (rate and latency and total):
        raise RuntimeError("unexpected wrk output:\n" + output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    count = int(errors[1]) if errors else 0
    if socket_errors:
        count += sum(int(n) for n in re.findall(r"\d+", socket_errors[1]))
    return Result(
        requests_per_second=float(rate[1]),
        latency_ms=_milliseconds(latency[1]),
        requests=int(total[1]),
        errors=count,
    )


def _raw_request(host, port, path, cookie):
    # Percent-encoded, as a browser sends it: gunicorn answers 400 to a request
    # line in raw UTF-8 (a search for 防災).
    path = urllib.parse.quote(path, safe="/?=&%")
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "X-Forwarded-Proto: https\r\nConnection: close\r\n"
        f"Cookie: {cookie}\r\n\r\n"
    ).encode()


def _fetch(address, payload):
    """One request on its own connection: (HTTP status, ms)."""
    began = time.perf_counter()
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(payload)
        first = b""
        while chunk := sock.recv(65536):
            first = first or chunk
    return int(first[9:12] or 0), (time.perf_counter() - began) * 1000


def _client(address, payloads, seconds, count, results):
    """Send the payloads in turn until `seconds` or `count` requests."""
    ok = errors = 0
    latencies = []
    deadline = time.monotonic() + seconds if seconds else None
    index = 0
    while (deadline is None or time.monotonic() < deadline) and (
        count is None or index < count
    ):
        try:
            status, ms = _fetch(address, payloads[index % len(payloads)])
        except OSError:
            errors += 1
        else:
            latencies.append(ms)
            if 200 <= status < 400:
                ok += 1
            else:
                errors += 1
        index += 1
    results.put((ok, errors, latencies))


def _python_load(url, cookie, *, seconds=None, connections, count=None, paths=None):
    """wrk's figures from a client in Python: a process per connection."""
    parsed = urllib.parse.urlsplit(url)
    address = (parsed.hostname, parsed.port)
    paths = paths or [parsed.path + (f"?{parsed.query}" if parsed.query else "")]
    payloads = [_raw_request(*address, path, cookie) for path in paths]
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    share = None if count is None else -(-count // connections)
    processes = [
        context.Process(
            target=_client,
            args=(address, payloads[i:] + payloads[:i], seconds, share, results),
        )
        for i in range(connections)
    ]
    began = time.perf_counter()
    for process in processes:
        process.start()
    gathered = [results.get() for _ in processes]
    elapsed = time.perf_counter() - began
    for process in processes:
        process.join()
    ok = sum(g[0] for g in gathered)
    errors = sum(g[1] for g in gathered)
    latencies = [ms for g in gathered for ms in g[2]]
    return Result(
        requests_per_second=(ok + errors) / elapsed,
        latency_ms=statistics.mean(latencies) if latencies else 0.0,
        requests=ok + errors,
        errors=errors,
    )


def client_name():
    if shutil.which("wrk"):
        return "wrk"
    return "a client in Python (bench/throughput.py; wrk is not installed)"


def wrk(url, script, *, seconds, connections, threads=2, cookie=""):
    if not shutil.which("wrk"):
        return _python_load(url, cookie, seconds=seconds, connections=connections)
    command = [
        shutil.which("wrk") or "wrk",
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={script}",
        url,
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    )
    return parse(result.stdout)


def run(
    database_url,
    pages,
    accounts,
    *,
    seconds,
    connections,
    workers,
    say=print,
    env=None,
):
    """Requests/s of the floor and of each page; {name: Result}.

    `pages` are (name, path, account) with account a key of `accounts`,
    {account: (e-mail, password)}, or None for no sign-in; `env` adds to
    gunicorn's environment.
    """
    results = {}
    with (
        serve(database_url, workers=workers, **(env or {})) as base,
        tempfile.TemporaryDirectory(prefix="renkei-wrk-") as folder,
    ):
        scripts = {None: Path(folder) / "anonymous.lua"}
        scripts[None].write_text(SCRIPT.format(cookie=""))
        cookies = {None: ""}
        for account, (email, password) in accounts.items():
            cookies[account] = login(base, email, password)
            scripts[account] = Path(folder) / f"{account}.lua"
            scripts[account].write_text(SCRIPT.format(cookie=cookies[account]))
        for name, path, account in [("floor", FLOOR_URL, None), *pages]:
            path = urllib.parse.quote(path, safe="/?=&%")
            status, _headers, _body = request(
                base, "GET", path, headers={"Cookie": cookies[account]}
            )
            if status != 200:
                raise RuntimeError(f"{name}: {path} answered {status} under gunicorn")
            results[name] = wrk(
                base + path,
                scripts[account],
                seconds=seconds,
                connections=connections,
                cookie=cookies[account],
            )
            say(f"  {name}: {results[name].requests_per_second:.1f} requests/s")
    return results


def _workers(master):
    """The pids of gunicorn's workers: the master's children."""
    children = Path(f"/proc/{master}/task/{master}/children")
    return sorted(int(pid) for pid in children.read_text().split())


def _rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Memory:
    requests: int  # sent so far
    rss_mb: list  # per worker, in pid order
    errors: int


def memory(
    database_url,
    paths,
    account,
    *,
    total,
    every,
    connections,
    workers,
    say=print,
    env=None,
):
    """RSS of each gunicorn worker after every `every` of `total` requests.

    `paths` are sent in turn, signed in as `account` (e-mail, password);
    returns [Memory], the first one before any page was requested.
    """
    samples = []
    with serve(database_url, workers=workers, expose_process=True, **(env or {})) as (
        base,
        process,
    ):
        cookie = login(base, *account)
        pids = _workers(process.pid)
        samples.append(Memory(0, [_rss_mb(pid) for pid in pids], 0))
        sent = errors = 0
        while sent < total:
            result = _python_load(
                base, cookie, connections=connections, count=every, paths=paths
            )
            sent += result.requests
            errors += result.errors
            if _workers(process.pid) != pids:
                raise RuntimeError("a gunicorn worker was restarted during the run")
            samples.append(Memory(sent, [_rss_mb(pid) for pid in pids], errors))
            say(
                f"  {sent:,} requests: "
                + ", ".join(f"{mb:.1f} MB" for mb in samples[-1].rss_mb)
            )
    return samples
