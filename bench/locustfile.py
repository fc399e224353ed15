"""Member staff using the site, for the load test (python -m bench.load).

Each simulated member signs in once through the sign-in form, then reads and
writes the way the staff of a member organisation do: the board home,
categories, threads (jumping to what is unread), search with Japanese words,
the member directory and the disaster tracker, and now and then a reply or a
new thread, some with a small PDF or PNG attached.

Every post carries a token of its own. A post counts as created only when
the site answered with the redirect to it and the page it leads to shows the
token; the tokens of created posts are written to the results file, so that
bench.load can look for each one in the database afterwards.

bench.load passes the plan in the file named by LOAD_PLAN (JSON): the
accounts (one per simulated member), their password, the share of posts
that carry a file, whether each member replies to a thread as soon as it
has signed in (so that even a short run on a slow machine posts), and the
results path.
"""

import io
import itertools
import json
import os
import random
import re
import time
import uuid
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task
from locust.exception import StopUser
from locust.stats import RequestStats
from PIL import Image
from requests.cookies import RequestsCookieJar

from bench.corpus import TextMaker
from boards.sample_pdf import minimal_pdf

with open(os.environ["LOAD_PLAN"], encoding="utf-8") as plan_file:
    PLAN = json.load(plan_file)

# Each simulated member signs in with an account of its own.
NEXT_ACCOUNT = itertools.count()

# What the users report; written out when the run ends.
CREATED = []


class SteadyState:
    """The figures of requests made once every member has signed in.

    Signing in is slow on purpose (PBKDF2), so while a hundred members sign
    in together every other request waits; these figures show the site as
    members use it afterwards.
    """

    def __init__(self):
        self.signed_in = 0
        self.since = None
        self.stats = RequestStats()

    def member_signed_in(self):
        self.signed_in += 1
        if self.signed_in == len(PLAN["accounts"]):
            self.since = time.time()
            self.stats.reset_all()

    def record(self, request_type, name, response_time, response_length, **kwargs):
        if self.since is None or kwargs.get("start_time", 0) < self.since:
            return
        self.stats.log_request(request_type, name, response_time, response_length)
        if kwargs.get("exception"):
            self.stats.log_error(request_type, name, kwargs["exception"])


STEADY = SteadyState()
events.request.add_listener(STEADY.record)

SEARCH_WORDS = [
    "防災",
    "観光",
    "能登",
    "物産展",
    "移住",
    "パンフレット",
    "ふるさと納税",
    "職員派遣",
    "花火大会",
    "防災 訓練",
    "観光 物産展",
    "子育て支援",
    "広報誌",
    "地震",
]
DIRECTORY_WORDS = ["", "", "石川", "金沢", "区", "市", "観光", "北海道", "長野"]
CATEGORIES = ["proposals", "participation", "publicity", "pamphlets", "pr", "other"]
# Categories whose threads need no details beyond title, body and files.
PLAIN_CATEGORIES = ["publicity", "other"]

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
THREAD_LINK = re.compile(r'href="/boards/t/(\d+)/')
DISASTER_LINK = re.compile(r'href="/disaster/(\d+)/"')
POST_REDIRECT = re.compile(r"^/boards/t/(\d+)/(\?page=\d+)?(#post-\d+)?$")


def small_pdf():
    """A one-page PDF, byte for byte what a member's office software makes."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    return minimal_pdf(objects)


def small_png():
    out = io.BytesIO()
    Image.new("RGB", (160, 120), (40, 110, 170)).save(out, "PNG")
    return out.getvalue()


FILES = [
    ("観光パンフレット.pdf", small_pdf(), "application/pdf"),
    ("会場写真.png", small_png(), "image/png"),
]


class LoopbackCookieJar(RequestsCookieJar):
    """A cookie jar that sends Secure cookies over the plain-HTTP loopback.

    Production marks the session and CSRF cookies Secure, and browsers get
    them over HTTPS from the proxy. Here the members talk plain HTTP to
    gunicorn and send "X-Forwarded-Proto: https" in the proxy's place, so
    the site works exactly as in production; only the client forgets the
    Secure flag, or it would keep the cookies but never send them back and
    no member would stay signed in. (A cookie policy would not do: requests
    copies the cookies into a jar of its own for every request.)
    """

    def set_cookie(self, cookie, *args, **kwargs):
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


def figures(entry):
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": entry.total_rps,
        "p50": entry.get_response_time_percentile(0.5),
        "p95": entry.get_response_time_percentile(0.95),
        "p99": entry.get_response_time_percentile(0.99),
        "max": entry.max_response_time,
    }


@events.quitting.add_listener
def write_results(environment, **kwargs):
    """The posts created and the request figures, once every member stopped."""
    stats = environment.stats
    results = {
        "created": CREATED,
        "total": figures(stats.total),
        "kinds": {name: figures(entry) for (name, _), entry in stats.entries.items()},
        "steady": None,
        "errors": [
            f"{error.occurrences} × {error.method} {error.name}: {error.error}"
            for error in stats.errors.values()
        ],
    }
    if STEADY.since is not None:
        results["steady"] = {
            "seconds_to_sign_in": STEADY.since - stats.total.start_time,
            "total": figures(STEADY.stats.total),
            "kinds": {
                name: figures(entry)
                for (name, _), entry in STEADY.stats.entries.items()
            },
        }
    with open(PLAN["results"], "w", encoding="utf-8") as results_file:
        json.dump(results, results_file, ensure_ascii=False, indent=1)


class Member(HttpUser):
    """A member organisation's staff member at work on the site."""

    wait_time = between(2, 8)

    def on_start(self):
        number = next(NEXT_ACCOUNT)
        if number >= len(PLAN["accounts"]):
            raise StopUser
        self.email = PLAN["accounts"][number]
        self.rng = random.Random(number)  # noqa: S311 (choices, not secrets)
        self.text = TextMaker(
            self.rng,
            municipalities=["七尾市", "金沢市", "長岡市", "松山市"],
            wards=["千代田区", "中央区", "港区", "新宿区"],
            prefectures=["石川県", "新潟県", "愛媛県"],
        )
        self.threads = []
        self.disasters = []
        self.client.cookies = LoopbackCookieJar()
        self.client.headers["X-Forwarded-Proto"] = "https"
        # Each member comes from an address of its own, as through the proxy.
        self.client.headers["X-Forwarded-For"] = (
            f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256 + 1}"
        )
        # Browsers send the page's origin with every form they post.
        self.origin = "https://" + urlsplit(self.host).netloc
        self.sign_in()
        if PLAN["reply_on_arrival"]:
            self.reply()

    # ----- helpers -----

    def page(self, path, name, *, params=None):
        """GET a page as a signed-in member; return its HTML, or None."""
        with self.client.get(
            path, params=params, name=name, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return None
            if urlsplit(response.url).path.startswith("/accounts/"):
                response.failure("signed out: sent to the sign-in page")
                return None
            return response.text

    def post_form(self, path, name, data, files=None):
        """POST a form; the response is not followed, so its redirect shows."""
        return self.client.post(
            path,
            data=data,
            files=files,
            name=name,
            headers={"Origin": self.origin, "Referer": self.origin + path},
            allow_redirects=False,
            catch_response=True,
        )

    def remember_threads(self, html):
        for pk in THREAD_LINK.findall(html):
            if pk not in self.threads:
                self.threads.append(pk)
        del self.threads[:-200]

    def a_thread(self):
        if not self.threads:
            html = self.page(
                f"/boards/c/{self.rng.choice(CATEGORIES)}/", "category page"
            )
            if html:
                self.remember_threads(html)
        return self.rng.choice(self.threads) if self.threads else None

    def attachment(self):
        if self.rng.random() >= PLAN["attachment_share"]:
            return None, None
        name, content, content_type = self.rng.choice(FILES)
        return name, {"attachments": (name, content, content_type)}

    def created(self, response, token, kind, attachment):
        """Record a post the site says it saved, then check its page shows it."""
        location = response.headers.get("Location", "")
        match = POST_REDIRECT.match(location)
        if response.status_code != 302 or not match:
            response.failure(f"status {response.status_code}, not sent to the post")
            return
        response.success()
        CREATED.append(
            {
                "token": token,
                "kind": kind,
                "thread": int(match.group(1)),
                "attachment": attachment,
                "email": self.email,
            }
        )
        with self.client.get(
            location, name="thread page after posting", catch_response=True
        ) as shown:
            if shown.status_code != 200 or token not in shown.text:
                shown.failure(f"the new post is not on {location}")

    # ----- signing in -----

    def sign_in(self):
        with self.client.get(
            "/accounts/login/", name="sign-in form", catch_response=True
        ) as response:
            csrf = CSRF_FIELD.search(response.text)
            if response.status_code != 200 or not csrf:
                response.failure(f"no sign-in form (status {response.status_code})")
                raise StopUser
        with self.post_form(
            "/accounts/login/",
            "sign in",
            {
                "login": self.email,
                "password": PLAN["password"],
                "csrfmiddlewaretoken": csrf.group(1),
            },
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or location.startswith("/accounts/"):
                response.failure(f"not signed in (status {response.status_code})")
                raise StopUser
            response.success()
        STEADY.member_signed_in()

    # ----- reading -----

    @task(12)
    def board_home(self):
        html = self.page("/boards/", "board home")
        if html:
            self.remember_threads(html)

    @task(12)
    def category(self):
        slug = self.rng.choice(CATEGORIES)
        params = {"page": 2} if self.rng.random() < 0.2 else None
        html = self.page(f"/boards/c/{slug}/", "category page", params=params)
        if html:
            self.remember_threads(html)

    @task(25)
    def thread(self):
        pk = self.a_thread()
        if pk is not None:
            html = self.page(f"/boards/t/{pk}/", "thread page")
            if html:
                self.remember_threads(html)

    @task(10)
    def search(self):
        html = self.page(
            "/boards/search/",
            "search",
            params={"q": self.rng.choice(SEARCH_WORDS)},
        )
        if html:
            self.remember_threads(html)

    @task(6)
    def directory(self):
        words = self.rng.choice(DIRECTORY_WORDS)
        self.page(
            "/members/", "member directory", params={"q": words} if words else None
        )

    @task(5)
    def disaster(self):
        html = self.page("/disaster/", "disaster tracker")
        if html:
            self.disasters = DISASTER_LINK.findall(html) or self.disasters
        if self.disasters:
            self.page(f"/disaster/{self.rng.choice(self.disasters)}/", "disaster page")

    # ----- writing -----

    @task(8)
    def reply(self):
        pk = self.a_thread()
        if pk is None:
            return
        # The reply form is on the thread's last page (the page is clamped).
        html = self.page(f"/boards/t/{pk}/", "thread page", params={"page": 9999})
        csrf = html and CSRF_FIELD.search(html)
        if not csrf or f'action="/boards/t/{pk}/reply/"' not in html:
            return  # locked: members cannot reply there
        token = f"LOAD-{uuid.uuid4().hex}"
        name, files = self.attachment()
        body = f"{self.text.body(60, 240)}\n\n{token}"
        with self.post_form(
            f"/boards/t/{pk}/reply/",
            "post a reply with a file" if files else "post a reply",
            {"body": body, "csrfmiddlewaretoken": csrf.group(1)},
            files,
        ) as response:
            self.created(response, token, "reply", name)

    @task(2)
    def start_thread(self):
        slug = self.rng.choice(PLAIN_CATEGORIES)
        path = f"/boards/c/{slug}/new/"
        html = self.page(path, "new thread form")
        csrf = html and CSRF_FIELD.search(html)
        if not csrf:
            return
        token = f"LOAD-{uuid.uuid4().hex}"
        name, files = self.attachment()
        with self.post_form(
            path,
            "start a thread with a file" if files else "start a thread",
            {
                "title": self.text.title(),
                "body": f"{self.text.body()}\n\n{token}",
                "csrfmiddlewaretoken": csrf.group(1),
            },
            files,
        ) as response:
            self.created(response, token, "thread", name)
