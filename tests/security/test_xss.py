"""Issue 7: the XSS corpus through every place people type text and every
place it is shown.

One module-wide world holds the whole corpus at once: an organisation, a
person, a category and an event thread per payload, replies, edits,
answers, reports, moderation reasons, notifications, applications and a
disaster with requests, offers, teams and aid. Each page is then rendered
once (or once per page of a list) and parsed; nothing a member typed may
turn into script, an event handler, a dangerous URL, a frame or a style.
A payload is also looked for by its marker, so a page that silently drops
the text does not pass for a safe one.

Exports are read back as CSV and with openpyxl: no cell may start with a
character that makes a spreadsheet run a formula.
"""

import csv
import datetime
import html
import io
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from boards import markdown, search
from boards.attachments import clean_file_name
from boards.mail import send_pending_mail
from boards.markdown import EMBED_PREFIXES
from boards.models import (
    Addressee,
    Attachment,
    Category,
    EventDetails,
    Frequency,
    ModerationLog,
    Notification,
    NotificationKind,
    Post,
    PostRevision,
    Proposal,
    Report,
    Thread,
    ThreadType,
)
from disaster_support import exports as disaster_exports
from disaster_support import permissions as disaster_permissions
from disaster_support import services as disaster_services
from disaster_support.models import (
    ChangeLog,
    Disaster,
    Dispatch,
    HelpRequest,
    Offer,
    Seat,
    SupportGoods,
    SupportMoney,
    WorkType,
)
from members import csv_io, permissions
from members import tasks as member_tasks
from members.common import spreadsheets
from members.models import (
    ContactChange,
    MembershipApplication,
    MembershipStatus,
    Organisation,
    User,
)
from members.services import applications as member_applications
from tests import factories

from .xss_payloads import (
    EMBED,
    EVENT,
    FORMULA,
    FORMULA_TRIGGERS,
    PAYLOADS,
    SCRIPT,
    STORED,
    SVG,
    fitting,
)

pytestmark = pytest.mark.django_db

MARKER = re.compile(r"xss\d{3}")
# One payload of each kind, first and last: for pages that show one object.
SAMPLE = [
    payload
    for kind in dict.fromkeys(p.kind for p in STORED)
    for payload in {
        id(p): p
        for p in (
            next(p for p in STORED if p.kind == kind),
            [p for p in STORED if p.kind == kind][-1],
        )
    }.values()
]
ONE_OF_EACH = SAMPLE[::2]
FORMULAS = [payload for payload in STORED if payload.kind == FORMULA]
AS_OF = datetime.date(2024, 1, 12)

# ----- what "no execution" means for a parsed page -----

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "lowsrc",
    "dynsrc",
    "codebase",
    "ping",
}
# Whitespace, controls and invisible characters a browser skips or that
# hide a scheme from a naive check.
INVISIBLE = re.compile(
    r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u3000\ufeff]"
)
SAFE_DATA_URL = re.compile(r"^data:image/(png|gif|jpeg|webp)[;,]")
# Elements the site's own templates never write: any of them came from input.
FORBIDDEN_ELEMENTS = {
    "base",
    "object",
    "embed",
    "applet",
    "style",
    "frame",
    "frameset",
    "isindex",
    "animate",
    "set",
    "use",
    "foreignobject",
    "handler",
    "listener",
    "math",
    "noscript",
}
STYLE_DANGER = ("expression(", "javascript:", "vbscript:", "behavior:", "-moz-binding")
KNOWN_SCRIPT_SOURCES = ("/static/", "/admin/jsi18n/")


def dangerous_url(value):
    """A URL that runs script or replaces the page when followed or loaded."""
    url = INVISIBLE.sub("", html.unescape(value)).lower()
    if url.startswith(("javascript:", "vbscript:", "livescript:")):
        return True
    return url.startswith("data:") and not SAFE_DATA_URL.match(url)


class ExecutionFinder(HTMLParser):
    """Collects every element or attribute that could run or load script."""

    def __init__(self, nonce=None):
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.findings = []
        self.text = []
        self._open_raw = None

    def _find(self, reason, detail):
        self.findings.append((reason, detail))

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs, self.get_starttag_text() or "")

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs, self.get_starttag_text() or "")

    def _check(self, tag, attrs, source):
        values = {name: value or "" for name, value in attrs}
        self.text.extend(values.values())
        for name, value in attrs:
            if name.startswith("on"):
                self._find(f"<{tag}> has the event handler {name}", source)
            if name in URL_ATTRIBUTES and dangerous_url(value or ""):
                self._find(f"<{tag} {name}> has a script URL", source)
            if name == "srcdoc":
                self._find(f"<{tag}> has srcdoc", source)
            if name == "style":
                style = re.sub(r"/\*.*?\*/|\s", "", html.unescape(value or "")).lower()
                if any(danger in style for danger in STYLE_DANGER):
                    self._find(f"<{tag}> has a scripted style", source)
        same_document = (values.get("href") or values.get("xlink:href", "x"))[:1]
        if tag in FORBIDDEN_ELEMENTS and not (tag == "use" and same_document == "#"):
            self._find(f"<{tag}> element", source)
        if tag == "script" and not self._allowed_script(values):
            self._find("<script> without the page's nonce or a known source", source)
            self._open_raw = len(self.findings) - 1
        if tag == "iframe" and not values.get("src", "").startswith(EMBED_PREFIXES):
            self._find("<iframe> that is not a video player", source)
        if tag == "meta" and values.get("http-equiv", "").strip().lower() in {
            "refresh",
            "set-cookie",
        }:
            self._find("<meta http-equiv>", source)
        if tag in {"form", "button", "input"} and re.match(
            r"^\s*(https?:)?//", values.get("action", values.get("formaction", ""))
        ):
            self._find(f"<{tag}> sending a form to another site", source)
        if tag == "link" and not values.get("href", "").startswith("/static/"):
            self._find("<link> to something other than the site's files", source)

    def _allowed_script(self, values):
        if values.get("type") == "application/json":
            return True
        if values.get("src", "").startswith(KNOWN_SCRIPT_SOURCES):
            return True
        return self.nonce is not None and values.get("nonce") == self.nonce

    def handle_data(self, data):
        self.text.append(data)
        if self._open_raw is not None:
            reason, source = self.findings[self._open_raw]
            self.findings[self._open_raw] = (reason, source + data[:200])

    def handle_endtag(self, tag):
        if tag == "script":
            self._open_raw = None


def csp_nonce(response):
    policy = response.get("Content-Security-Policy", "")
    match = re.search(r"'nonce-([^']+)'", policy)
    return match.group(1) if match else None


# Payloads × sinks checked, added up as the tests run.
CHECKED = {}


def check_page(content, *, sink, payloads=(), nonce=None, markers=True):
    """Fail, naming the payloads, if the page could run anything typed in."""
    finder = ExecutionFinder(nonce=nonce)
    finder.feed(content)
    finder.close()
    by_marker = {payload.marker: payload for payload in PAYLOADS}
    problems = []
    for reason, source in finder.findings:
        named = sorted(set(MARKER.findall(source)))
        culprits = ", ".join(str(by_marker[m]) for m in named if m in by_marker)
        problems.append(
            f"{sink}: {reason}: {source[:160]!r} from {culprits or 'no payload'}"
        )
    text = "".join(finder.text)
    if markers:
        problems.extend(
            f"{sink}: {payload} is not shown at all"
            for payload in payloads
            if payload.marker not in text
        )
    CHECKED[sink] = CHECKED.get(sink, 0) + len(payloads)
    assert not problems, "\n".join(problems)
    return text


def get_page(client, url, *, sink, payloads=(), markers=True):
    response = client.get(url)
    assert response.status_code == 200, f"{sink}: {url} gave {response.status_code}"
    return check_page(
        response.content.decode(),
        sink=sink,
        payloads=payloads,
        nonce=csp_nonce(response),
        markers=markers,
    )


def get_all_pages(client, url, *, sink, payloads, per_page, total, param="page"):
    """Every page of a paginated list; the markers may be on any of them."""
    text = ""
    pages = -(-total // per_page)
    for page in range(1, pages + 1):
        joiner = "&" if "?" in url else "?"
        text += get_page(client, f"{url}{joiner}{param}={page}", sink=sink)
    missing = [p for p in payloads if p.marker not in text]
    CHECKED[sink] = CHECKED.get(sink, 0) + len(payloads)
    assert not missing, "\n".join(f"{sink}: {p} is not shown at all" for p in missing)


@pytest.mark.parametrize(
    "payload",
    [
        p
        for p in PAYLOADS
        if p.kind in {SCRIPT, EVENT, SVG, EMBED}
        # A browser reads <scr<script> as an unknown element: this one runs
        # only once a naive filter has removed "<script>" from it.
        and not p.text.startswith("<scr<script>")
    ],
    ids=lambda payload: payload.marker,
)
def test_the_checker_would_catch_the_payload_unescaped(payload):
    """The check is not vacuous: each raw tag payload, put into a page as
    it is, is found."""
    page = f"<!DOCTYPE html><html><body><p>{payload.text}</p></body></html>"
    with pytest.raises(AssertionError, match="unescaped"):
        check_page(page, sink="unescaped", markers=False)


# ----- the world -----


def _bulk(model, rows):
    return model.objects.bulk_create(rows)


def _build_world():
    """The corpus stored in bulk; the text itself goes in exactly as typed,
    and bodies are rendered by the board's own Markdown sanitiser."""
    w = SimpleNamespace(users={}, orgs={}, threads={}, categories={})
    w.prefecture = factories.make_prefecture("石川県")
    office_org = factories.make_organisation(
        name="公益財団法人特別区協議会", kind=Organisation.Kind.BODY
    )
    w.office = factories.make_user(
        email="office@example.jp",
        organisation=office_org,
        role=permissions.OFFICE_STAFF,
    )
    w.ward_org = factories.make_organisation(
        name="千代田区", kind=Organisation.Kind.SPECIAL_WARD
    )
    w.ward = factories.make_user(
        email="ward@example.jp", organisation=w.ward_org, role=permissions.WARD_STAFF
    )
    reader_org = factories.make_organisation(name="読者市", prefecture=w.prefecture)
    w.reader = factories.make_user(email="reader@example.jp", organisation=reader_org)
    now = timezone.now()

    # An organisation and a person per payload, with a contact history.
    orgs = _bulk(
        Organisation,
        [
            Organisation(
                name=p.text[:100],
                kana=p.text[:100],
                kind=Organisation.Kind.CITY,
                code=factories.next_code(),
                prefecture=w.prefecture,
                membership_status=MembershipStatus.MEMBER,
                profile=p.text,
                department=p.text[:100],
                contact_person=p.text[:100],
                address=p.text[:200],
                latitude=36.5,
                longitude=136.6,
            )
            for number, p in enumerate(STORED)
        ],
    )
    users = _bulk(
        User,
        [
            User(
                email=f"{p.marker}@example.jp",
                display_name=p.text[:100],
                department=p.text[:100],
                organisation=org,
                password="!",
            )
            for p, org in zip(STORED, orgs, strict=True)
        ],
    )
    member_group = Group.objects.get(name=permissions.MEMBER_STAFF)
    _bulk(
        User.groups.through,
        [User.groups.through(user=user, group=member_group) for user in users],
    )
    _bulk(
        ContactChange,
        [
            ContactChange(
                organisation=org,
                field=field,
                old_value="",
                new_value=getattr(org, field),
                changed_by=user,
            )
            for org, user in zip(orgs, users, strict=True)
            for field in ("department", "contact_person", "address")
        ],
    )
    for p, org, user in zip(STORED, orgs, users, strict=True):
        w.orgs[p.marker], w.users[p.marker] = org, user

    # A category, an event thread, its file, answer, report and lock each.
    categories = _bulk(
        Category,
        [
            Category(
                name=p.text[:100],
                slug=p.marker,
                description=p.text,
                order=100 + number,
                thread_type=ThreadType.EVENT,
                thread_count=1,
                post_count=1,
                last_activity_at=now,
            )
            for number, p in enumerate(STORED)
        ],
    )
    threads = _bulk(
        Thread,
        [
            Thread(
                category=category,
                title=p.text[:120],
                author=user,
                organisation=user.organisation,
                last_post_author=user,
                last_post_organisation=user.organisation,
                is_locked=True,
            )
            for p, category, user in zip(STORED, categories, users, strict=True)
        ],
    )
    names = {p.marker: clean_file_name(f"{p.text}.png") for p in STORED}
    openings = _bulk(
        Post,
        [
            Post(
                thread=thread,
                position=0,
                author=thread.author,
                organisation=thread.organisation,
                body=p.text,
                body_html=markdown.render(p.text),
                search_vector=search.bigram_tsvector(
                    p.text, names[p.marker], title=thread.title
                ),
            )
            for p, thread in zip(STORED, threads, strict=True)
        ],
    )
    _bulk(
        Attachment,
        [
            Attachment(
                post=post,
                file=f"attachments/2024/01/{p.marker}.png",
                thumbnail=f"attachments/2024/01/{p.marker}-t.png",
                original_name=names[p.marker],
                kind=Attachment.Kind.IMAGE,
                content_type="image/png",
                size=100,
                width=8,
                height=8,
            )
            for p, post in zip(STORED, openings, strict=True)
        ],
    )
    _bulk(
        EventDetails,
        [
            EventDetails(
                thread=thread,
                starts_on=datetime.date(2024, 5, 1),
                ends_on=datetime.date(2024, 5, 2),
                place=p.text[:200],
                contact=p.text[:200],
            )
            for p, thread in zip(STORED, threads, strict=True)
        ],
    )
    _bulk(
        Addressee,
        [
            Addressee(
                thread=thread,
                organisation=w.ward_org,
                state=Addressee.State.INTERESTED,
                comment=p.text,
                read_at=now,
                answered_at=now,
                answered_by=w.ward,
            )
            for p, thread in zip(STORED, threads, strict=True)
        ],
    )
    _bulk(
        Report,
        [
            Report(post=post, reporter=w.reader, reason=p.text)
            for p, post in zip(STORED, openings, strict=True)
        ],
    )
    _bulk(
        ModerationLog,
        [
            ModerationLog(
                actor=w.ward,
                action=ModerationLog.Action.LOCK,
                thread=thread,
                reason=p.text,
            )
            for p, thread in zip(STORED, threads, strict=True)
        ],
    )
    for p, category, thread in zip(STORED, categories, threads, strict=True):
        w.categories[p.marker], w.threads[p.marker] = category, thread

    # One long thread: a reply per payload, each mentioning the reader.
    w.long_thread = factories.make_thread(
        author=w.reader, category="other", title="長いスレッド"
    )
    replies = _bulk(
        Post,
        [
            Post(
                thread=w.long_thread,
                position=position,
                author=user,
                organisation=user.organisation,
                body=f"@reader さん\n\n{p.text}",
                body_html=markdown.render(f"@reader さん\n\n{p.text}"),
            )
            for position, (p, user) in enumerate(zip(STORED, users, strict=True), 1)
        ],
    )
    Thread.objects.filter(pk=w.long_thread.pk).update(
        last_position=len(replies), reply_count=len(replies)
    )
    # The reader hears of every new thread and every mention.
    _bulk(
        Notification,
        [
            Notification(
                user=w.reader,
                kind=NotificationKind.NEW_THREAD,
                thread=thread,
                post=post,
                actor=thread.author,
                mail=Frequency.IMMEDIATE,
            )
            for thread, post in zip(threads, openings, strict=True)
        ]
        + [
            Notification(
                user=w.reader,
                kind=NotificationKind.MENTION,
                thread=w.long_thread,
                post=reply,
                actor=reply.author,
                mail=Frequency.IMMEDIATE,
            )
            for reply in replies
        ],
    )

    # One opening post edited once per payload: its history lists them all.
    w.edited_thread = factories.make_thread(
        author=w.reader, category="other", title="編集されるスレッド"
    )
    w.edited_post = w.edited_thread.posts.get(position=0)
    _bulk(
        PostRevision,
        [
            PostRevision(
                post=w.edited_post,
                title=p.text[:120],
                body=p.text,
                body_html=markdown.render(p.text),
                written_at=now,
            )
            for p in STORED
        ],
    )
    Post.objects.filter(pk=w.edited_post.pk).update(edited_at=now)

    # Applications to join, from local governments not yet members.
    applicants = _bulk(
        Organisation,
        [
            Organisation(
                name=f"申請町{p.marker}",
                kind=Organisation.Kind.TOWN,
                code=factories.next_code(),
                prefecture=w.prefecture,
                membership_status=MembershipStatus.APPLIED,
            )
            for number, p in enumerate(STORED)
        ],
    )
    applications = _bulk(
        MembershipApplication,
        [
            MembershipApplication(
                organisation=applicant,
                department=p.text[:100],
                contact_person=p.text[:100],
                email=f"apply-{p.marker}@example.jp",
                phone="03-5210-9080",
                purpose=p.text,
            )
            for p, applicant in zip(STORED, applicants, strict=True)
        ],
    )
    w.applications = {p.marker: a for p, a in zip(STORED, applications, strict=True)}
    _build_disaster(w)
    _build_realised(w)
    return w


def _build_disaster(w):
    office = w.office
    for p in SAMPLE:
        disaster_services.disaster_create(
            name=p.text[:100],
            kind=Disaster.Kind.OTHER,
            occurred_on=datetime.date(2023, 1, 1),
            prefectures=[w.prefecture],
            actor=office,
        )
    w.disaster = disaster = disaster_services.disaster_create(
        name="令和6年能登半島地震",
        kind=Disaster.Kind.EARTHQUAKE,
        occurred_on=datetime.date(2024, 1, 1),
        prefectures=[w.prefecture],
        actor=office,
    )
    # Wards named by the office: a payload each, for the sample.
    wards = _bulk(
        Organisation,
        [
            Organisation(
                name=p.text[:100],
                kind=Organisation.Kind.SPECIAL_WARD,
                code=factories.next_code(),
                membership_status=MembershipStatus.MEMBER,
            )
            for number, p in enumerate(SAMPLE)
        ],
    )
    ward_of = {p.marker: wards[n % len(wards)] for n, p in enumerate(STORED)}
    work_types = _bulk(
        WorkType,
        [WorkType(name=p.text[:100], order=n) for n, p in enumerate(STORED)],
    )
    requests = _bulk(
        HelpRequest,
        [
            HelpRequest(
                disaster=disaster,
                municipality=w.orgs[p.marker],
                channel=HelpRequest.Channel.OTHER,
                work_type=work_type,
                place_kind=HelpRequest.PlaceKind.REMOTE,
                place_note=p.text[:100],
                people_requested=2,
                start_on=datetime.date(2024, 1, 10),
                end_on=datetime.date(2024, 1, 20),
                entered_by=office,
            )
            for p, work_type in zip(STORED, work_types, strict=True)
        ],
    )
    offers = _bulk(
        Offer,
        [
            Offer(
                request=request,
                sender=ward_of[p.marker],
                basis=Offer.Basis.AGREEMENT,
                people=1,
                note=p.text,
            )
            for p, request in zip(STORED, requests, strict=True)
        ],
    )
    dispatches = _bulk(
        Dispatch,
        [
            Dispatch(
                offer=offer,
                name=p.text[:50],
                sender=offer.sender,
                start_on=datetime.date(2024, 1, 10),
                end_on=datetime.date(2024, 1, 14),
                decided_on=datetime.date(2024, 1, 5),
            )
            for p, offer in zip(STORED, offers, strict=True)
        ],
    )
    _bulk(
        Seat,
        [
            Seat(
                dispatch=dispatch,
                job_type=Seat.JobType.CLERICAL,
                person_name=p.text[:100],
            )
            for p, dispatch in zip(STORED, dispatches, strict=True)
        ],
    )
    _bulk(
        SupportMoney,
        [
            SupportMoney(
                disaster=disaster,
                kind=SupportMoney.Kind.DONATION,
                payer=ward_of[p.marker],
                recipient=w.orgs[p.marker],
                amount=1000 + n,
                basis=p.text,
                paid_on=datetime.date(2024, 1, 11),
            )
            for n, p in enumerate(STORED)
        ],
    )
    _bulk(
        SupportGoods,
        [
            SupportGoods(
                disaster=disaster,
                item=p.text[:100],
                quantity=1,
                unit=p.text[:20],
                payer=ward_of[p.marker],
                recipient=w.orgs[p.marker],
                sent_on=datetime.date(2024, 1, 11),
            )
            for p in STORED
        ],
    )
    offer_type = ContentType.objects.get_for_model(Offer)
    _bulk(
        ChangeLog,
        [
            ChangeLog(
                content_type=offer_type,
                object_id=offer.pk,
                action=ChangeLog.Action.UPDATE,
                field="note",
                old_value=p.text,
                new_value=p.text,
                changed_by=office,
            )
            for p, offer in zip(STORED, offers, strict=True)
        ],
    )
    w.requests = {p.marker: r for p, r in zip(STORED, requests, strict=True)}
    w.snapshot = disaster_services.snapshot_publish(
        disaster=disaster, as_of=AS_OF, actor=office
    )


def _build_realised(w):
    """Proposals realised with the ward: the office's yearly workbook."""
    proposals = Category.objects.get(slug="proposals")
    chosen = [*FORMULAS, *SAMPLE]
    threads = _bulk(
        Thread,
        [
            Thread(
                category=proposals,
                title=p.text[:120],
                author=w.users[p.marker],
                organisation=w.orgs[p.marker],
            )
            for p in chosen
        ],
    )
    _bulk(
        Post,
        [
            Post(
                thread=thread,
                position=0,
                author=thread.author,
                organisation=thread.organisation,
                body=p.text,
                body_html=markdown.render(p.text),
            )
            for p, thread in zip(chosen, threads, strict=True)
        ],
    )
    _bulk(
        Proposal,
        [
            Proposal(
                thread=thread,
                field=Proposal.Field.TOURISM,
                status=Proposal.Status.REALISED,
                realised_on=datetime.date(2024, 6, 1),
            )
            for thread in threads
        ],
    )
    _bulk(
        Addressee,
        [
            Addressee(
                thread=thread,
                organisation=w.ward_org,
                state=Addressee.State.INTERESTED,
            )
            for thread in threads
        ],
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The whole corpus, stored once for the module and rolled back after."""
    quick = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=tmp_path_factory.mktemp("xss-media"),
        TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}},
    )
    with django_db_blocker.unblock(), quick, transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


@pytest.fixture
def as_user(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


# ----- member pages -----


def test_thread_pages_run_none_of_the_corpus(world, as_user):
    client = as_user(world.reader)
    for payload in SAMPLE:
        thread = world.threads[payload.marker]
        get_page(
            client,
            reverse("boards:thread", args=[thread.pk]),
            sink="thread page (title, body, signature, event, answer, file name)",
            payloads=[payload],
        )


def test_a_thread_of_replies_runs_none_of_the_corpus(world, as_user):
    get_all_pages(
        as_user(world.reader),
        reverse("boards:thread", args=[world.long_thread.pk]),
        sink="thread page (replies and mentions)",
        payloads=STORED,
        per_page=30,
        total=len(STORED) + 1,
    )


def test_post_history_runs_none_of_the_edits(world, as_user):
    get_page(
        as_user(world.reader),
        reverse("boards:post_history", args=[world.edited_post.pk]),
        sink="post history (earlier titles and bodies)",
        payloads=STORED,
    )


def test_board_home_runs_none_of_the_category_names_or_titles(world, as_user):
    get_page(
        as_user(world.reader),
        reverse("boards:home"),
        sink="board home (category names)",
        payloads=fitting(100),
    )


def test_category_pages_run_none_of_the_corpus(world, as_user):
    client = as_user(world.reader)
    for payload in SAMPLE:
        get_page(
            client,
            reverse("boards:category", args=[payload.marker]),
            sink="category page (name, description, thread titles)",
            payloads=[payload],
        )


def test_addressed_list_runs_none_of_the_titles(world, as_user):
    get_all_pages(
        as_user(world.ward),
        reverse("boards:addressed"),
        sink="threads addressed to the ward",
        payloads=STORED,
        per_page=50,
        total=len(STORED) + len(FORMULAS) + len(SAMPLE),
    )


def test_notification_list_runs_none_of_the_titles_or_names(world, as_user):
    get_all_pages(
        as_user(world.reader),
        reverse("boards:notification_list"),
        sink="notifications list (titles, names, categories)",
        payloads=STORED,
        per_page=30,
        total=2 * len(STORED),
    )


def test_search_for_a_payload_highlights_it_without_running_anything(world, as_user):
    """The words typed are shown again in the form, and the title, snippet
    and file name of each result are highlighted where they match."""
    client = as_user(world.reader)
    for payload in ONE_OF_EACH:
        response = client.get(reverse("boards:search"), {"q": payload.text[:200]})
        assert response.status_code == 200, payload
        check_page(
            response.content.decode(),
            sink="search form and highlighted results",
            payloads=[payload],
            nonce=csp_nonce(response),
        )


def test_member_directory_runs_none_of_the_names_or_contacts(world, as_user):
    members = Organisation.objects.members().count()
    get_all_pages(
        as_user(world.reader),
        reverse("members:directory"),
        sink="member directory",
        payloads=STORED,
        per_page=50,
        total=members,
    )


def test_directory_map_is_an_svg_without_script(world, as_user):
    response = as_user(world.reader).get(reverse("members:directory_map"))
    assert response.status_code == 200
    check_page(
        response.content.decode(),
        sink="member map (SVG image)",
        payloads=fitting(100),
    )


def test_organisation_pages_run_none_of_the_contact_details(world, as_user):
    for payload in ONE_OF_EACH:
        org = world.orgs[payload.marker]
        client = as_user(world.users[payload.marker])
        for name in ("organisation_detail", "organisation_history"):
            get_page(
                client,
                reverse(f"members:{name}", args=[org.pk]),
                sink=f"organisation page: {name}",
                payloads=[payload],
            )
        get_page(
            client,
            reverse("members:organisation_contact", args=[org.pk]),
            sink="contact details form (values in inputs)",
            payloads=[payload],
        )
        get_page(
            as_user(world.office),
            reverse("members:organisation_staff", args=[org.pk]),
            sink="organisation staff list",
            payloads=[payload],
        )


# ----- disaster pages -----


def test_disaster_list_runs_none_of_the_names(world, as_user):
    get_page(
        as_user(world.reader),
        reverse("disaster_support:home"),
        sink="disaster list",
        payloads=SAMPLE,
    )


def test_disaster_report_runs_none_of_the_typed_text(world, as_user):
    """Places, work, teams, municipalities, wards, aid: the whole report."""
    url = reverse("disaster_support:disaster_detail", args=[world.disaster.pk])
    get_page(
        as_user(world.office),
        f"{url}?as_of={AS_OF:%Y-%m-%d}",
        sink="disaster report",
        payloads=fitting(20),
    )


def test_snapshot_runs_none_of_the_frozen_text(world, as_user):
    get_page(
        as_user(world.office),
        reverse("disaster_support:snapshot_detail", args=[world.snapshot.pk]),
        sink="published report",
        payloads=fitting(20),
    )


def test_request_pages_run_none_of_the_notes_and_names(world, as_user):
    client = as_user(world.office)
    for payload in SAMPLE:
        get_page(
            client,
            reverse(
                "disaster_support:request_detail",
                args=[world.requests[payload.marker].pk],
            ),
            sink="request for help (place, offer note, team, names)",
            payloads=[payload],
        )


def test_disaster_change_history_runs_none_of_the_values(world, as_user):
    changes = disaster_permissions.visible_changes(world.office, world.disaster)
    get_all_pages(
        as_user(world.office),
        reverse("disaster_support:change_history", args=[world.disaster.pk]),
        sink="disaster change history",
        payloads=STORED,
        per_page=50,
        total=changes.count(),
    )


# ----- Django admin -----

ADMIN_MODELS = [
    "boards.category",
    "boards.thread",
    "boards.post",
    "boards.attachment",
    "boards.report",
    "boards.moderationlog",
    "members.organisation",
    "members.user",
    "members.membershipapplication",
    "disaster_support.disaster",
    "disaster_support.worktype",
    "disaster_support.helprequest",
    "disaster_support.offer",
    "disaster_support.dispatch",
    "disaster_support.supportmoney",
    "disaster_support.supportgoods",
    "disaster_support.changelog",
]


@pytest.fixture
def superuser(world):
    user = factories.make_user(
        email="root@example.jp", organisation=world.office.organisation
    )
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_admin_changelist_runs_none_of_the_corpus(world, as_user, superuser, model):
    app, name = model.split(".")
    client = as_user(superuser)
    url = reverse(f"admin:{app}_{name}_changelist")
    rows = apps.get_model(model).objects.count()
    # Every page of the list; it shows short excerpts, so the markers are
    # not all there to look for.
    for page in range(1, -(-rows // 100) + 1):
        get_page(
            client,
            f"{url}?p={page}",
            sink=f"admin list of {model}",
            payloads=STORED if page == 1 else (),
            markers=False,
        )


def _admin_objects(world, payload):
    thread = world.threads[payload.marker]
    request = world.requests[payload.marker]
    return {
        "boards.category": world.categories[payload.marker],
        "boards.thread": thread,
        "boards.post": thread.posts.get(position=0),
        "boards.attachment": thread.posts.get(position=0).attachments.get(),
        "boards.report": thread.posts.get(position=0).reports.get(),
        "members.organisation": world.orgs[payload.marker],
        "members.user": world.users[payload.marker],
        "members.membershipapplication": world.applications[payload.marker],
        "disaster_support.helprequest": request,
        "disaster_support.offer": request.offers.get(),
        "disaster_support.dispatch": request.offers.get().dispatches.get(),
    }


def test_admin_change_forms_run_none_of_the_corpus(world, as_user, superuser):
    client = as_user(superuser)
    models = list(_admin_objects(world, SAMPLE[0]))
    # Each model with two payloads, the sample taken in turn.
    for number, model in enumerate(models * 2):
        payload = SAMPLE[number % len(SAMPLE)]
        obj = _admin_objects(world, payload)[model]
        app, name = model.split(".")
        get_page(
            client,
            reverse(f"admin:{app}_{name}_change", args=[obj.pk]),
            sink=f"admin change form of {model}",
            payloads=[payload],
        )


def test_office_staff_see_admin_lists_without_running_anything(world, as_user):
    """The office's own account, not a superuser: the pages it really sees."""
    client = as_user(world.office)
    for model in ("boards.report", "members.organisation", "boards.thread"):
        app, name = model.split(".")
        get_page(
            client,
            reverse(f"admin:{app}_{name}_changelist"),
            sink=f"admin list of {model} (office staff)",
            markers=False,
        )


# ----- mail -----


def test_notification_mail_html_runs_nothing_and_text_stays_text(world):
    mail.outbox.clear()
    send_pending_mail.call()
    # One mail per notification.
    to_reader = [m for m in mail.outbox if m.to == [world.reader.email]]
    assert to_reader
    html_body = "".join(m.alternatives[0].content for m in to_reader)
    assert {m.alternatives[0].mimetype for m in to_reader} == {"text/html"}
    check_page(html_body, sink="notification mail (HTML)", payloads=fitting(120))
    # The plain text part is never read as HTML: the text is as typed.
    text_body = "".join(m.body for m in to_reader)
    missing = [p for p in fitting(120) if p.text[:120] not in text_body]
    assert not missing, missing
    CHECKED["notification mail (text)"] = len(fitting(120))


def test_mail_subjects_stay_on_one_line(world):
    mail.outbox.clear()
    send_pending_mail.call()
    for message in mail.outbox:
        header = message.message()["Subject"]
        assert "\n" not in str(header) and "\r" not in str(header)


@pytest.mark.parametrize(
    ("template", "context_of"),
    [
        (
            "members/email/application_received",
            lambda world, payload: {"application": world.applications[payload.marker]},
        ),
        (
            "members/email/contact_changed",
            lambda world, payload: {
                "organisation": world.orgs[payload.marker],
                "changes": world.orgs[payload.marker].contact_changes.all(),
                "changed_by": world.users[payload.marker],
            },
        ),
    ],
)
def test_member_mails_are_plain_text_with_the_text_as_typed(
    world, settings, template, context_of
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    mail.outbox.clear()
    for payload in STORED:
        member_tasks.mail_send(
            to=["office@example.jp"],
            template=template,
            context=context_of(world, payload),
        )
    assert len(mail.outbox) == len(STORED)
    for payload, message in zip(STORED, mail.outbox, strict=True):
        assert not message.alternatives, "member mails have no HTML part"
        assert payload.text[:100] in message.body, payload
        assert "\n" not in message.subject, payload
    CHECKED[f"{template} (text)"] = len(STORED)


# ----- exports -----


def _csv_cells(content):
    text = content.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _xlsx_cells(content):
    workbook = load_workbook(io.BytesIO(content))
    cells = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}"
                if isinstance(cell.value, str):
                    cells.append(cell.value)
    return cells


def assert_no_formula(cells, *, sink, payloads):
    running = [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS)]
    assert not running, f"{sink}: cells a spreadsheet would run: {running[:5]}"
    joined = "\n".join(cells)
    missing = [p for p in payloads if p.marker not in joined]
    assert not missing, f"{sink}: not exported: {missing}"
    CHECKED[sink] = CHECKED.get(sink, 0) + len(payloads)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("table", disaster_exports.TABLES)
def test_disaster_exports_neutralise_formulas(world, as_user, table, fmt):
    url = reverse("disaster_support:export", args=[world.disaster.pk, table, fmt])
    response = as_user(world.office).get(f"{url}?as_of={AS_OF:%Y-%m-%d}")
    assert response.status_code == 200
    cells = (_csv_cells if fmt == "csv" else _xlsx_cells)(response.content)
    # Tables that list typed text must carry every formula payload.
    typed = table in {"request_log", "money", "goods", "cross_tab", "newsletter"}
    assert_no_formula(
        cells,
        sink=f"disaster export {table}.{fmt}",
        payloads=fitting(20, FORMULAS) if typed else [],
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("table", ["newsletter", "status"])
def test_snapshot_exports_neutralise_formulas(world, as_user, table, fmt):
    url = reverse(
        "disaster_support:snapshot_export", args=[world.snapshot.pk, table, fmt]
    )
    response = as_user(world.office).get(url)
    assert response.status_code == 200
    cells = (_csv_cells if fmt == "csv" else _xlsx_cells)(response.content)
    assert_no_formula(
        cells,
        sink=f"published report export {table}.{fmt}",
        payloads=fitting(100, FORMULAS) if table == "newsletter" else [],
    )


def test_member_csv_export_neutralises_formulas(world, as_user):
    response = as_user(world.office).get(reverse("admin:members_organisation_export"))
    assert response.status_code == 200
    assert_no_formula(
        _csv_cells(response.content), sink="member list CSV", payloads=FORMULAS
    )


def test_realised_collaborations_workbook_neutralises_formulas(world, as_user):
    response = as_user(world.office).get(reverse("boards:realised_export"))
    assert response.status_code == 200
    assert_no_formula(
        _xlsx_cells(response.content),
        sink="realised collaborations workbook",
        payloads=fitting(100, FORMULAS),
    )


def test_spreadsheet_safe_quotes_every_formula_payload():
    for payload in PAYLOADS:
        safe = spreadsheets.spreadsheet_safe(payload.text)
        writable = spreadsheets.UNWRITABLE.sub("", payload.text)
        assert not safe.startswith(FORMULA_TRIGGERS), payload
        if writable.startswith(FORMULA_TRIGGERS):
            assert safe == "'" + writable, payload
        else:
            assert safe == writable, payload


# ----- typed through the forms -----


def test_forms_keep_a_posted_payload_as_text(world, as_user):
    """Replies posted for real through the reply form are shown as text on
    the page the form leads to."""
    client = as_user(world.users[SAMPLE[0].marker])
    thread = world.long_thread
    for payload in SAMPLE:
        response = client.post(
            reverse("boards:reply", args=[thread.pk]), {"body": payload.text}
        )
        assert response.status_code == 302, payload
    get_page(
        client,
        response["Location"],
        sink="reply posted through the form",
        payloads=SAMPLE,
    )


def test_forms_refuse_nul_characters(world, as_user):
    client = as_user(world.reader)
    for payload in [p for p in PAYLOADS if not p.storable]:
        response = client.post(
            reverse("boards:reply", args=[world.long_thread.pk]),
            {"body": payload.text},
        )
        assert response.status_code == 200, payload
        assert response.context["form"].errors, payload


def test_join_form_payloads_reach_the_office_as_text(
    world, client, as_user, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    payload = SAMPLE[1]
    applicant = factories.make_organisation(
        name="申請村", prefecture=world.prefecture, membership_status="none"
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("join"),
            {
                "organisation": applicant.pk,
                "department": payload.text[:100],
                "contact_person": payload.text[:100],
                "email": "join@example.jp",
                "phone": "03-5210-9080",
                "purpose": payload.text,
                "website": "",
            },
        )
    assert response.status_code == 302
    application = applicant.applications.get()
    assert application.purpose == payload.text
    with django_capture_on_commit_callbacks(execute=True):
        member_applications.application_confirm(application=application)
    get_page(
        as_user(world.office),
        reverse("admin:members_membershipapplication_change", args=[application.pk]),
        sink="join application (admin)",
        payloads=[payload],
    )
    assert any(payload.text in message.body for message in mail.outbox)


# ----- CSV import -----


def _import_file(world, payloads):
    header = [str(csv_io.COLUMNS[key]) for key in ("code", "name", "membership_status")]
    header += [
        str(csv_io.COLUMNS[key])
        for key in ("department", "contact_person", "contact_email", "phone", "address")
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for payload in payloads:
        org = world.orgs[payload.marker]
        text = payload.text[:90]
        writer.writerow(
            [
                org.code,
                text,
                "",
                f"新{text}",
                f"新{text}",
                "new@example.jp",
                "03-5210-9080",
                f"新{text}",
            ]
        )
    # A status that is not one: the rejection reason quotes it.
    writer.writerow([world.orgs[payloads[0].marker].code, "", payloads[0].text])
    return buffer.getvalue().encode("utf-8")


def test_csv_import_preview_and_result_run_nothing(world, as_user, superuser):
    client = as_user(superuser)
    payloads = fitting(90)[::2]
    response = client.post(
        reverse("admin:members_organisation_import"),
        {
            "file": SimpleUploadedFile("members.csv", _import_file(world, payloads)),
            "mode": csv_io.VALID_ROWS,
        },
    )
    assert response.status_code == 200
    check_page(
        response.content.decode(),
        sink="CSV import preview",
        payloads=payloads,
        nonce=csp_nonce(response),
    )
    token = response.context["form"].initial["token"]
    response = client.post(
        reverse("admin:members_organisation_import"),
        {"token": token, "mode": csv_io.VALID_ROWS},
    )
    assert response.status_code == 302
    changed = [p for p in payloads if world.orgs[p.marker].contact_changes.count() > 1]
    assert len(changed) == len(payloads)
    for payload in SAMPLE:
        if payload in payloads:
            get_page(
                client,
                reverse(
                    "members:organisation_history",
                    args=[world.orgs[payload.marker].pk],
                ),
                sink="contact history after a CSV import",
                payloads=[payload],
            )


def test_the_corpus_is_large_and_covers_every_kind():
    """Also prints payloads × sinks checked, when the whole module has run."""
    kinds = {payload.kind for payload in PAYLOADS}
    assert len(PAYLOADS) >= 120
    assert len(kinds) == 11
    print(
        f"\nXSS corpus: {len(PAYLOADS)} payloads; {len(CHECKED)} sinks; "
        f"{sum(CHECKED.values())} payload × sink checks"
    )
