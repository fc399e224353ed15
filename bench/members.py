"""Simulated members for bench.scale: sign in, browse, post, and keep count.

Each member is a thread with a session of its own (cookies, keep-alive to
the load balancer). It signs in once, then until the end reads the board
home, categories, threads and search, and every few actions posts a reply,
some with a file. A post counts as acknowledged only when the site answered
with the redirect to it; every acknowledged post (and its file's checksum)
is recorded for the check afterwards. Failures are counted by kind, and each
member keeps the longest time it went without a successful request.
"""

import hashlib
import io
import random
import re
import threading
import time
import uuid
from collections import Counter
from urllib.parse import urlsplit

import requests
from requests.cookies import RequestsCookieJar

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
THREAD_LINK = re.compile(r'href="/boards/t/(\d+)/')
POST_REDIRECT = re.compile(r"^/boards/t/(\d+)/(\?page=\d+)?(#post-\d+)?$")
CATEGORIES = ["proposals", "participation", "publicity", "pamphlets", "pr", "other"]
SEARCH_WORDS = ["防災", "観光", "能登", "物産展", "移住", "地震", "広報誌"]
TIMEOUT = 20


class LoopbackCookieJar(RequestsCookieJar):
    """Sends the Secure session cookie over the plain-HTTP loopback, as a
    browser sends it over HTTPS to the TLS proxy in front of HAProxy."""

    def set_cookie(self, cookie, *args, **kwargs):
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


def a_file(rng, number):
    """A small file of its own content, so that each upload is told apart."""
    from PIL import Image

    out = io.BytesIO()
    colour = (number * 37 % 256, number * 91 % 256, number * 53 % 256)
    Image.new("RGB", (64 + number % 64, 48), colour).save(out, "PNG")
    return f"写真{number}.png", out.getvalue(), "image/png"


def session(base_url, address):
    client = requests.Session()
    client.cookies = LoopbackCookieJar()
    client.headers["X-Forwarded-For"] = address
    client.headers["X-Forwarded-Proto"] = "https"
    client.base = base_url
    client.origin = "https://" + urlsplit(base_url).netloc
    return client


def sign_in(client, email, password):
    """Sign in through the form; True when the site let the member in."""
    page = client.get(client.base + "/accounts/login/", timeout=TIMEOUT)
    csrf = CSRF_FIELD.search(page.text)
    if page.status_code != 200 or not csrf:
        return False
    response = client.post(
        client.base + "/accounts/login/",
        data={"login": email, "password": password, "csrfmiddlewaretoken": csrf[1]},
        headers={
            "Origin": client.origin,
            "Referer": client.origin + "/accounts/login/",
        },
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    location = response.headers.get("Location", "")
    return response.status_code == 302 and not location.startswith("/accounts/")


def error_kind(response):
    """HTTP status, and for 503 who answered: the site's maintenance page, or
    the load balancer with no node to send the request to."""
    kind = f"HTTP {response.status_code}"
    if response.status_code == 503:
        if "No server is available" in response.text:
            kind += " from HAProxy: no node up"
        elif "メンテナンス中" in response.text:
            kind += " maintenance page (database)"
        else:
            kind += " from the site"
    elif response.status_code == 502:
        kind += " from HAProxy: node cut off mid-request"
    return kind


class Tally:
    """What all members saw, added up under a lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.served = Counter()  # kind of page -> successful requests
        self.errors = Counter()  # kind of error -> count
        self.cpu_us = Counter()  # kind -> CPU microseconds reported
        self.queries = Counter()  # (kind, alias) -> statements
        self.acknowledged = []  # posts the site said it saved
        self.outages = {}  # member -> longest gap in seconds
        self.timeline = []  # (seconds since start, ok, kind) per request

    def success(self, kind, response, started):
        cpu = int(response.headers.get("X-Renkei-Cpu-Us", 0) or 0)
        queries = response.headers.get("X-Renkei-Queries", "")
        with self.lock:
            self.served[kind] += 1
            self.cpu_us[kind] += cpu
            for item in queries.split():
                alias, number = item.split("=")
                self.queries[(kind, alias)] += int(number)
            self.timeline.append((time.monotonic() - started, True, kind))

    def error(self, kind, started):
        with self.lock:
            self.errors[kind] += 1
            self.timeline.append((time.monotonic() - started, False, kind))


class Member(threading.Thread):
    def __init__(
        self,
        number,
        *,
        base_url,
        email,
        password,
        tally,
        deadline,
        started,
        file_share,
        think,
    ):
        super().__init__(name=f"member-{number}", daemon=True)
        self.number = number
        self.email = email
        self.password = password
        self.tally = tally
        self.deadline = deadline
        self.started = started
        self.file_share = file_share
        self.think = think
        self.rng = random.Random(number)  # noqa: S311 (choices, not secrets)
        address = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256 + 1}"
        self.client = session(base_url, address)
        self.threads = []
        self.last_success = None
        self.longest_gap = 0.0
        self.signed_in = False

    # ----- bookkeeping -----

    def ok(self, kind, response):
        now = time.monotonic()
        if self.last_success is not None:
            self.longest_gap = max(self.longest_gap, now - self.last_success)
        self.last_success = now
        self.tally.success(kind, response, self.started)

    def failed(self, kind):
        self.tally.error(kind, self.started)

    def get(self, path, kind, params=None):
        """A page as a signed-in member; its HTML, or None after a failure."""
        try:
            response = self.client.get(
                self.client.base + path, params=params, timeout=TIMEOUT
            )
        except requests.Timeout:
            self.failed("timeout")
            return None
        except requests.ConnectionError:
            self.failed("connection error")
            return None
        if urlsplit(response.url).path.startswith("/accounts/login"):
            self.failed("signed out")
            self.signed_in = False
            return None
        if response.status_code != 200:
            self.failed(error_kind(response))
            return None
        self.ok(kind, response)
        return response.text

    # ----- what a member does -----

    def run(self):
        while time.monotonic() < self.deadline:
            if not self.signed_in:
                try:
                    self.signed_in = sign_in(self.client, self.email, self.password)
                except requests.RequestException:
                    self.signed_in = False
                if not self.signed_in:
                    self.failed("sign-in failed")
                    time.sleep(1)
                    continue
                self.tally.served["sign in"] += 1
            action = self.rng.choices(
                [self.board, self.category, self.thread, self.search, self.reply],
                weights=[3, 3, 5, 2, 2],
            )[0]
            action()
            time.sleep(self.rng.uniform(*self.think))
        if self.last_success is not None:
            # A member still failing at the end has been without the site since.
            self.longest_gap = max(
                self.longest_gap, time.monotonic() - self.last_success
            )
        with self.tally.lock:
            self.tally.outages[self.email] = self.longest_gap

    def remember(self, html):
        for pk in THREAD_LINK.findall(html):
            if pk not in self.threads:
                self.threads.append(pk)
        del self.threads[:-100]

    def board(self):
        if html := self.get("/boards/", "board home"):
            self.remember(html)

    def category(self):
        slug = self.rng.choice(CATEGORIES)
        if html := self.get(f"/boards/c/{slug}/", "category page"):
            self.remember(html)

    def thread(self):
        if not self.threads:
            return self.board()
        pk = self.rng.choice(self.threads)
        if html := self.get(f"/boards/t/{pk}/", "thread page"):
            self.remember(html)
        return None

    def search(self):
        word = self.rng.choice(SEARCH_WORDS)
        if html := self.get("/boards/search/", "search", params={"q": word}):
            self.remember(html)

    def reply(self):
        if not self.threads:
            return self.board()
        pk = self.rng.choice(self.threads)
        html = self.get(f"/boards/t/{pk}/", "thread page", params={"page": 9999})
        csrf = html and CSRF_FIELD.search(html)
        if not csrf or f'action="/boards/t/{pk}/reply/"' not in html:
            return None
        token = f"SCALE-{uuid.uuid4().hex}"
        files = None
        attachment = None
        if self.rng.random() < self.file_share:
            name, content, content_type = a_file(self.rng, self.rng.randrange(10**6))
            files = {"attachments": (name, content, content_type)}
            attachment = {
                "name": name,
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
            }
        path = f"/boards/t/{pk}/reply/"
        kind = "post a reply with a file" if files else "post a reply"
        try:
            response = self.client.post(
                self.client.base + path,
                data={
                    "body": f"規模の試験の返信です。\n\n{token}",
                    "csrfmiddlewaretoken": csrf[1],
                },
                files=files,
                headers={
                    "Origin": self.client.origin,
                    "Referer": self.client.origin + path,
                },
                allow_redirects=False,
                timeout=TIMEOUT,
            )
        except requests.Timeout:
            self.failed("timeout (posting)")
            return None
        except requests.ConnectionError:
            self.failed("connection error (posting)")
            return None
        location = response.headers.get("Location", "")
        match = POST_REDIRECT.match(location)
        if response.status_code == 200:
            # The form again, with an error: nothing was saved.
            self.failed("post refused with a form error")
            return None
        if response.status_code != 302 or not match:
            self.failed(error_kind(response) + " (posting)")
            return None
        self.ok(kind, response)
        with self.tally.lock:
            self.tally.acknowledged.append(
                {
                    "token": token,
                    "thread": int(match[1]),
                    "location": location,
                    "attachment": attachment,
                    "email": self.email,
                }
            )
        return None
