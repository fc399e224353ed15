"""Test data builders: plain keyword-only functions, exposed as fixtures."""

import datetime
import itertools

from disaster_support import services as disaster_services
from disaster_support.models import Disaster, HelpRequest, Offer, Seat, WorkType
from members import permissions
from members.models import MembershipStatus, Organisation
from members.services import accounts as services
from members.validators import local_government_check_digit

PASSWORD = "correct-horse-battery"
_sequence = itertools.count(1)


def make_code(number):
    """A valid local government code outside the real ranges: its first two
    digits, 48-99, name no prefecture. 52,000 codes, enough for a session."""
    if not 0 <= number < 52_000:
        raise ValueError(f"no test code for {number}")
    first_five = f"{48 + number // 1000:02d}{number % 1000:03d}"
    return first_five + str(local_government_check_digit(first_five))


def next_code():
    """A code no other test data of this session has."""
    return make_code(next(_sequence))


def make_organisation(
    *,
    name=None,
    kind=Organisation.Kind.CITY,
    prefecture=None,
    membership_status=MembershipStatus.MEMBER,
    **extra,
):
    number = next(_sequence)
    if kind != Organisation.Kind.BODY:
        extra.setdefault("code", make_code(number))
    return Organisation.objects.create(
        name=name or f"テスト市{number}",
        kind=kind,
        prefecture=prefecture,
        membership_status=membership_status,
        **extra,
    )


def make_ward(*, name="千代田区"):
    return make_organisation(name=name, kind=Organisation.Kind.SPECIAL_WARD)


def make_user(
    *,
    organisation=None,
    role=permissions.MEMBER_STAFF,
    email=None,
    display_name="山田 太郎",
    department="観光交流課",
    password=PASSWORD,
    email_verified=True,
):
    number = next(_sequence)
    if organisation is None:
        kind = (
            Organisation.Kind.SPECIAL_WARD
            if role == permissions.WARD_STAFF
            else Organisation.Kind.CITY
        )
        organisation = make_organisation(kind=kind)
    return services.user_create(
        email=email or f"user{number}@example.jp",
        display_name=display_name,
        department=department,
        organisation=organisation,
        role=role,
        password=password,
        email_verified=email_verified,
    )


def make_thread(
    *, author, category="proposals", title="観光物産展への出展について", body="本文"
):
    from boards.models import Category
    from boards.services import posts

    return posts.thread_create(
        category=Category.objects.get(slug=category),
        author=author,
        title=title,
        body=body,
    )


def make_reply(*, thread, author, body="返信です。"):
    from boards.services import posts

    return posts.post_reply(thread=thread, author=author, body=body)


def bulk_threads(*, author, count, category="proposals"):
    """Many threads with an opening post and one reply each, inserted in bulk."""
    from django.utils import timezone

    from boards import search
    from boards.models import Category, Post, Thread

    category = Category.objects.get(slug=category)
    now = timezone.now()
    threads = Thread.objects.bulk_create(
        Thread(
            category=category,
            title=f"一括スレッド{number}",
            author=author,
            organisation=author.organisation,
            last_activity_at=now,
            reply_count=1,
            last_position=1,
            last_post_author=author,
            last_post_organisation=author.organisation,
        )
        for number in range(count)
    )
    Post.objects.bulk_create(
        Post(
            thread=thread,
            position=position,
            author=author,
            organisation=author.organisation,
            body=f"防災と観光の本文{thread.pk}",
            body_html=f"<p>防災と観光の本文{thread.pk}</p>",
            search_vector=search.bigram_tsvector(
                thread.title, f"防災と観光の本文{thread.pk}"
            ),
        )
        for thread in threads
        for position in (0, 1)
    )
    Category.objects.filter(pk=category.pk).update(
        thread_count=category.thread_count + count, last_activity_at=now
    )
    return threads


# ----- disaster support: rows built through the services -----


def make_prefecture(name="石川県"):
    return make_organisation(name=name, kind=Organisation.Kind.PREFECTURE)


def make_disaster(*, prefecture=None, occurred_on=datetime.date(2024, 1, 1), by=None):
    return disaster_services.disaster_create(
        name="令和6年能登半島地震",
        kind=Disaster.Kind.EARTHQUAKE,
        occurred_on=occurred_on,
        prefectures=[prefecture or make_prefecture()],
        actor=by,
    )


def make_request(*, disaster, municipality=None, by=None, **fields):
    if municipality is None:
        municipality = make_organisation(
            name="七尾市", prefecture=disaster.prefectures.first()
        )
    values = {
        "channel": HelpRequest.Channel.MIC_TOKYO,
        "work_type": WorkType.objects.get(name="ごみの収集・運搬等"),
        "people_requested": 6,
        "start_on": datetime.date(2024, 1, 10),
        "end_on": datetime.date(2024, 3, 31),
        **fields,
    }
    return disaster_services.request_create(
        disaster=disaster, municipality=municipality, actor=by, **values
    )


def make_offer(*, request, sender=None, by=None, people=3):
    return disaster_services.offer_create(
        request=request,
        actor=by,
        sender=sender,
        is_joint=sender is None,
        basis=Offer.Basis.AGREEMENT if sender else Offer.Basis.JOINT,
        people=people,
    )


def make_dispatch(
    *,
    offer,
    sender,
    start_on=datetime.date(2024, 1, 10),
    end_on=datetime.date(2024, 1, 14),
    seats=3,
    by=None,
    **fields,
):
    values = {
        "name": "第1班",
        "travel_days_at_start": 1,
        "travel_days_at_end": 1,
        "decided_on": datetime.date(2024, 1, 5),
        **fields,
    }
    return disaster_services.dispatch_create(
        offer=offer,
        actor=by,
        seats=[(Seat.JobType.CLERICAL, f"職員{n}") for n in range(seats)],
        sender=sender,
        start_on=start_on,
        end_on=end_on,
        **values,
    )


# ----- event sign-up and calendar -----


def make_event(
    *,
    author,
    title="全国連携フェアの開催",
    starts_on=None,
    ends_on=None,
    place="区政会館",
    application_deadline=None,
    category="participation",
):
    """An event thread, by default a one-day event a month from today."""
    from django.utils import timezone

    from boards.models import Category
    from boards.services import collaboration

    starts_on = starts_on or timezone.localdate() + datetime.timedelta(days=30)
    thread = collaboration.thread_start(
        category=Category.objects.get(slug=category),
        author=author,
        title=title,
        body="イベントのご案内です。",
        details={
            "starts_on": starts_on,
            "ends_on": ends_on or starts_on,
            "place": place,
            "application_deadline": application_deadline,
        },
    )
    return thread.event


def open_registration(
    *, event, capacity=3, modes="both", application_deadline=..., actor=None
):
    """Sign-up opened by the event's author (its organiser); the event's
    deadline stays unless one is given."""
    from boards.services import registrations

    return registrations.registration_configure(
        event=event,
        actor=actor or event.thread.author,
        is_open=True,
        capacity=capacity,
        modes=modes,
        application_deadline=event.application_deadline
        if application_deadline is ...
        else application_deadline,
    )


def sign_up(*, event, actor, name, attendance="on_site", department="観光課"):
    from boards.services import registrations

    return registrations.attendee_register(
        event=event,
        actor=actor,
        name=name,
        department=department,
        attendance=attendance,
    )


# ----- 照会 (inquiries) -----

THREE_QUESTIONS = [
    {"kind": "number", "text": "観光イベントの件数", "unit": "件", "required": True},
    {
        "kind": "single_choice",
        "text": "来年度の出展意向",
        "choices": ["出展する", "検討中", "出展しない"],
        "required": True,
    },
    {"kind": "short_text", "text": "担当者名"},
]


def make_inquiry(
    *,
    sender,
    organisations,
    questions=None,
    send=True,
    deadline_on=None,
    title="観光イベントの実施状況について(照会)",
    audience="chosen",
    **fields,
):
    """An inquiry from sender's organisation to the chosen organisations,
    with three questions unless others are given, sent unless send=False."""
    from django.utils import timezone

    from boards.services import inquiries

    inquiry = inquiries.inquiry_create(
        actor=sender,
        title=title,
        body="ご回答をお願いします。",
        deadline_on=deadline_on or timezone.localdate() + datetime.timedelta(days=14),
        audience=audience,
        organisations=organisations,
        **fields,
    )
    inquiries.inquiry_set_questions(
        inquiry=inquiry,
        actor=sender,
        questions=THREE_QUESTIONS if questions is None else questions,
    )
    if send:
        inquiries.inquiry_send(inquiry=inquiry, actor=sender)
    return inquiry


def make_draft(
    *, user, category="other", thread=None, title="書きかけの提案", body="下書きの本文"
):
    """A saved draft of a new thread in ``category``, or of a reply to ``thread``."""
    from boards.models import Category
    from boards.services import drafts

    if thread is not None:
        return drafts.draft_save(user=user, thread=thread, body=body)
    return drafts.draft_save(
        user=user,
        category=Category.objects.get(slug=category),
        title=title,
        body=body,
    )


# ----- categories with their own readers -----


def make_category(
    *, slug="ward-coordination", name="区間調整", readers="wards", reader_group=None
):
    """A category read only by the 23 wards, or by a group of organisations."""
    from boards.models import Category

    category = Category(
        slug=slug,
        name=name,
        order=65,
        readers=readers,
        reader_group=reader_group,
    )
    category.full_clean()
    category.save()
    return category


def make_organisation_group(*, name="北陸の会員", organisations=()):
    from boards.models import OrganisationGroup

    group = OrganisationGroup.objects.create(name=name)
    group.organisations.set(organisations)
    return group


def make_damage_figures(
    *, disaster, municipality, as_of=datetime.date(2024, 1, 15), by=None, **counts
):
    """A municipality's damage counts (households per category) as of a day."""
    from disaster_support import damage_services

    return damage_services.figures_create(
        disaster=disaster, municipality=municipality, as_of=as_of, actor=by, **counts
    )


# ----- agreements (協定・覚書) -----


def make_agreement(
    *,
    parties,
    title="災害時における相互応援に関する協定",
    kind="mutual_aid",
    signed_on=datetime.date(2020, 4, 1),
    scopes=("disaster",),
    status="active",
    by=None,
    **fields,
):
    from disaster_support import agreements

    return agreements.agreement_create(
        actor=by,
        parties=parties,
        title=title,
        kind=kind,
        signed_on=signed_on,
        scopes=list(scopes),
        status=status,
        **fields,
    )


# ----- 受援計画 -----


def make_reception_plan(*, ward, by=None, **fields):
    """A ward's reception plan with its contact points and no rows yet."""
    from disaster_support import reception

    values = {
        "department": "危機管理課",
        "phone": "03-1234-5678",
        "email": "bousai@example.jp",
        "after_hours": "防災センター 03-1234-0000",
        "note": "",
        **fields,
    }
    return reception.reception_plan_save(
        ward=ward, actor=by, fields=values, formsets=[]
    )


def make_drill(*, prefecture=None, name="首都直下地震（訓練）", by=None):
    """A drill (訓練): a disaster that never counts in real reports."""
    return disaster_services.disaster_create(
        name=name,
        kind=Disaster.Kind.EARTHQUAKE,
        occurred_on=datetime.date(2024, 1, 1),
        prefectures=[prefecture or make_prefecture(name="東京都")],
        actor=by,
        is_drill=True,
    )
