"""Requests per second of the key pages under gunicorn, measured with wrk.

bench.measure --throughput starts gunicorn with production settings on
loopback (bench.server), signs in through the sign-in form, checks that
every page answers 200, then runs wrk against each page in turn for a fixed
time with a few connections. The first page is /bench/floor, a view that
does nothing (bench/urls.py): every other page is reported as a share of
its requests per second.

wrk sends the session cookie and "X-Forwarded-Proto: https" from a short
Lua script, as the reverse proxy in front of gunicorn would.
"""

import re
import shutil
import subprocess
import tempfile
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


def wrk(url, script, *, seconds, connections, threads=2):
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
            )
            say(f"  {name}: {results[name].requests_per_second:.1f} requests/s")
    return results
