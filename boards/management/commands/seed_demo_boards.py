import datetime
import io
import os

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from PIL import Image, ImageDraw

from boards.attachments import prepare_upload
from boards.models import Category, Thread
from boards.sample_pdf import minimal_pdf
from boards.services import (
    collaboration,
    moderation,
    posts,
    registrations,
    watching,
)
from members import permissions
from members.models import Organisation, User
from members.services import accounts

# Extra demo accounts so that threads come from several places.
# (e-mail, name, department, organisation code, role)
EXTRA_ACCOUNTS = [
    (
        "sapporo@example.jp",
        "札幌 一郎",
        "総務局 国際部",
        "011002",
        permissions.MEMBER_STAFF,
    ),
    ("hirosaki@example.jp", "弘前 桜子", "観光課", "022021", permissions.MEMBER_STAFF),
    ("kumamoto@example.jp", "熊本 文子", "国際課", "431001", permissions.MEMBER_STAFF),
    ("naha@example.jp", "那覇 海", "文化観光課", "472018", permissions.MEMBER_STAFF),
    ("chuo@example.jp", "中央 次郎", "地域振興課", "131024", permissions.WARD_STAFF),
    (
        "shinjuku@example.jp",
        "新宿 三郎",
        "地域コミュニティ課",
        "131041",
        permissions.WARD_STAFF,
    ),
]

# (category slug, author e-mail, days ago, title, body, replies, attachment)
# replies: (author e-mail, body)
THREADS = [
    (
        "announcements",
        "office@example.jp",
        40,
        "令和8年度 全国連携プロジェクト説明会の開催について",
        "会員自治体の皆さま\n\n令和8年度の全国連携プロジェクト説明会を、**オンライン**で開催します。\n\n"
        "- 日時：令和8年5月20日（水）14時〜15時30分\n- 内容：今年度の事業計画、会員専用サイトの使い方\n\n"
        "参加を希望される方は、このスレッドに返信してください。",
        [
            ("nanao@example.jp", "七尾市観光交流課です。2名で参加します。"),
            ("kumamoto@example.jp", "熊本市国際課、1名参加希望です。"),
        ],
        "pdf",
    ),
    (
        "proposals",
        "nanao@example.jp",
        30,
        "能登の復興を発信する物産展の共同開催のご提案",
        "令和6年能登半島地震からの復興に向けて、23区内での**物産展**の共同開催をご提案します。\n\n"
        "七尾市の和倉温泉や能登の特産品（能登牛、能登ふぐ、輪島塗）をご紹介したいと考えています。"
        "会場のご提供や広報でご協力いただける区はございますか。",
        [
            (
                "chiyoda@example.jp",
                "千代田区地域振興課です。区役所1階ロビーでの開催が可能か、担当課と調整します。",
            ),
            (
                "chuo@example.jp",
                "中央区でも、日本橋のアンテナショップ周辺での共催を検討できます。",
            ),
            (
                "nanao@example.jp",
                "ありがとうございます。日程候補を改めてお知らせします。",
            ),
        ],
        "image",
    ),
    (
        "proposals",
        "hirosaki@example.jp",
        25,
        "りんごを通じた小学校の交流事業について",
        "弘前市観光課です。弘前のりんご農家と23区の小学校をオンラインでつなぐ交流授業をご提案します。"
        "収穫体験の動画配信や、給食でのりんご提供も可能です。",
        [
            (
                "shinjuku@example.jp",
                "新宿区です。区立小学校への周知を検討します。対象学年の想定を教えてください。",
            )
        ],
        None,
    ),
    (
        "participation",
        "kanazawa@example.jp",
        20,
        "特別区主催「ふるさと祭り」への出展希望",
        "金沢市企画調整課です。秋に開催される「ふるさと祭り」への出展を希望します。"
        "金箔工芸のワークショップを予定しています。出展条件をご教示ください。",
        [
            (
                "chiyoda@example.jp",
                "出展要項をこのスレッドに添付してお送りします。申込締切は7月末です。",
            )
        ],
        None,
    ),
    (
        "publicity",
        "kumamoto@example.jp",
        18,
        "熊本城の復旧状況と特別公開のご案内",
        "熊本地震で被災した熊本城は、天守閣の復旧が完了し、特別見学通路を公開しています。"
        "23区の皆さまにもぜひお越しいただきたく、周知へのご協力をお願いします。\n\n"
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        [],
        None,
    ),
    (
        "pamphlets",
        "naha@example.jp",
        15,
        "那覇市観光パンフレットの区施設での配布依頼",
        "那覇市文化観光課です。観光パンフレット（A4、8ページ）を23区の区民施設で配布していただけないでしょうか。\n\n"
        "- 部数：各区200部程度\n- 期間：6月〜8月\n- 配布場所：区役所窓口、図書館、区民センター",
        [
            ("chuo@example.jp", "中央区は区民センターで100部受け入れ可能です。"),
            ("shinjuku@example.jp", "新宿区は要相談です。配架スペースを確認します。"),
        ],
        "pdf",
    ),
    (
        "pr",
        "sapporo@example.jp",
        12,
        "広報さっぽろ 特集「移住・定住のすすめ」",
        "広報誌の最新号で移住・定住の特集を組みました。子育て支援や住まいの情報を掲載しています。"
        "区の広報ご担当の方、相互紹介のご相談も歓迎します。",
        [],
        None,
    ),
    (
        "proposals",
        "kumamoto@example.jp",
        10,
        "防災協定に基づく職員の相互派遣訓練について",
        "大規模災害に備えて、職員の相互派遣を想定した**防災訓練**を合同で実施できないかご提案します。"
        "熊本地震の際の受援の経験を共有したいと考えています。",
        [
            (
                "chiyoda@example.jp",
                "災害時の遠隔連携の観点から、大変有意義なご提案です。防災課と共有します。",
            ),
            (
                "nanao@example.jp",
                "能登半島地震で受援を経験した立場から、七尾市も参加を希望します。",
            ),
        ],
        None,
    ),
    (
        "other",
        "nanao@example.jp",
        7,
        "会員専用サイトの使い方についての質問",
        "スレッドに写真を添付するとき、1回に何枚までアップロードできますか。",
        [("office@example.jp", "1回の投稿につき5ファイル（各20MBまで）添付できます。")],
        None,
    ),
    (
        "participation",
        "sapporo@example.jp",
        5,
        "雪まつり期間中の交流イベントへのご招待",
        "さっぽろ雪まつりの期間中に、23区の観光PRブースを設ける企画があります。参加を希望される区はご連絡ください。",
        [],
        None,
    ),
    (
        "publicity",
        "hirosaki@example.jp",
        3,
        "弘前さくらまつり2027の開催概要",
        "来春の弘前さくらまつりの開催概要が決まりました。観光ツアーの造成にご活用ください。",
        [],
        None,
    ),
    (
        "announcements",
        "chiyoda@example.jp",
        1,
        "千代田区の全国連携展示（防災）の開催",
        "区政会館で、自治体間連携による災害援助をテーマにした展示を行います。会員自治体のパネル出展を募集します。",
        [("naha@example.jp", "那覇市も出展を希望します。")],
        None,
    ),
]


# Type-specific details by thread title: (details, ward codes or "all", important).
EXTRAS = {
    "令和8年度 全国連携プロジェクト説明会の開催について": ({}, (), True),
    "能登の復興を発信する物産展の共同開催のご提案": (
        {"field": "tourism"},
        ("131016", "131024"),
        False,
    ),
    "りんごを通じた小学校の交流事業について": (
        {"field": "culture"},
        ("131041",),
        False,
    ),
    "防災協定に基づく職員の相互派遣訓練について": ({"field": "disaster"}, "all", False),
    "特別区主催「ふるさと祭り」への出展希望": (
        {
            "starts_on": datetime.date(2026, 10, 17),
            "ends_on": datetime.date(2026, 10, 18),
            "place": "日比谷公園",
            "application_deadline": datetime.date(2026, 7, 31),
            "contact": "千代田区 地域振興課",
        },
        (),
        False,
    ),
    "雪まつり期間中の交流イベントへのご招待": (
        {
            "starts_on": datetime.date(2027, 2, 4),
            "ends_on": datetime.date(2027, 2, 11),
            "place": "札幌市 大通公園",
            "contact": "札幌市 総務局 国際部",
        },
        (),
        False,
    ),
    "那覇市観光パンフレットの区施設での配布依頼": (
        {
            "copies": 200,
            "wished_from": datetime.date(2027, 6, 1),
            "wished_until": datetime.date(2027, 8, 31),
            "placements": ["facilities", "counters"],
        },
        ("131024", "131041"),
        False,
    ),
    "広報さっぽろ 特集「移住・定住のすすめ」": (
        {
            "url": "https://www.city.sapporo.jp/",
            "period_from": datetime.date(2026, 11, 1),
        },
        (),
        False,
    ),
}


def _demo_pdf(title):
    """A small valid one-page PDF (text in ASCII: the file is only a stand-in)."""
    content = b"BT /F1 18 Tf 72 720 Td (Renkei demo pamphlet) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return SimpleUploadedFile(
        f"{title}.pdf", minimal_pdf(objects, version=b"1.4"), "application/pdf"
    )


def _demo_image(title):
    image = Image.new("RGB", (800, 500), (0, 80, 140))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 760, 460), outline=(255, 255, 255), width=6)
    draw.ellipse((300, 150, 500, 350), fill=(255, 179, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile(f"{title}.jpg", buffer.getvalue(), "image/jpeg")


class Command(BaseCommand):
    help = "Add demonstration threads to the board (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true")

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo_boards only runs with DJANGO_DEBUG on.")
        if Thread.objects.exists():
            self.stdout.write("The board already has threads; nothing added.")
            return
        password = os.environ.get("DEMO_PASSWORD", "renkei-demo-2026")
        for email, name, department, code, role in EXTRA_ACCOUNTS:
            if not User.objects.filter(email__iexact=email).exists():
                accounts.user_create(
                    email=email,
                    display_name=name,
                    department=department,
                    organisation=Organisation.objects.get(code=code),
                    role=role,
                    password=password,
                    email_verified=True,
                )
        users = {
            user.email: user for user in User.objects.select_related("organisation")
        }
        now = timezone.now()
        for slug, author, days, title, body, replies, attachment in THREADS:
            uploads = []
            if attachment == "pdf":
                uploads = [prepare_upload(_demo_pdf(title))]
            elif attachment == "image":
                uploads = [prepare_upload(_demo_image(title))]
            started = now - datetime.timedelta(days=days, hours=3)
            details, wards, important = EXTRAS.get(title, ({}, (), False))
            thread = collaboration.thread_start(
                category=Category.objects.get(slug=slug),
                author=users[author],
                title=title,
                body=body,
                uploads=uploads,
                details=details,
                wards=Organisation.objects.filter(code__in=wards)
                if wards != "all"
                else (),
                all_wards=wards == "all",
                important=important,
            )
            self._backdate(thread, started)
            for number, (reply_author, reply_body) in enumerate(replies, start=1):
                posts.post_reply(
                    thread=thread, author=users[reply_author], body=reply_body
                )
                self._backdate_reply(
                    thread, number, started + datetime.timedelta(hours=5 * number)
                )
        self._collaboration(users)
        self._moderation(users)
        self._registrations(users)
        self._ward_coordination(users)
        for category in Category.objects.all():
            latest = category.threads.aggregate(latest=Max("last_activity_at"))
            Category.objects.filter(pk=category.pk).update(
                last_activity_at=latest["latest"]
            )
        self.stdout.write(self.style.SUCCESS(f"{len(THREADS)} demo threads added."))

    def _collaboration(self, users):
        """Answers, interest and a status change, as the office would see them."""
        noto = Thread.objects.get(title__startswith="能登の復興")
        answer = noto.addressees.get(organisation__code="131016")
        collaboration.addressee_answer(
            addressee=answer,
            actor=users["chiyoda@example.jp"],
            state="interested",
            comment="区役所1階ロビーでの開催を調整します。",
        )
        collaboration.interest_mark(thread=noto, actor=users["kanazawa@example.jp"])
        collaboration.proposal_set_status(
            proposal=noto.proposal,
            actor=users["nanao@example.jp"],
            status="coordinating",
        )
        naha = Thread.objects.get(title__startswith="那覇市観光パンフレット")
        collaboration.addressee_answer(
            addressee=naha.addressees.get(organisation__code="131024"),
            actor=users["chuo@example.jp"],
            state="accept",
            comment="区民センターで100部受け入れ可能です。",
        )

    def _moderation(self, users):
        """A pinned announcement, a closed thread, and a report still open."""
        office = users["office@example.jp"]
        announcement = Thread.objects.get(title__startswith="令和8年度 全国連携")
        moderation.thread_pin(
            thread=announcement, actor=office, reason="説明会の周知期間中は上部に表示"
        )
        question = Thread.objects.get(title__startswith="会員専用サイトの使い方")
        moderation.thread_lock(
            thread=question, actor=users["chiyoda@example.jp"], reason="回答済みのため"
        )
        snow = Thread.objects.get(title__startswith="雪まつり期間中")
        moderation.report_create(
            post=snow.posts.get(position=0),
            reporter=users["kanazawa@example.jp"],
            reason="募集期間と連絡先が書かれていないようです。確認をお願いします。",
        )
        for user in users.values():
            if user.email.startswith(("nanao", "chiyoda")):
                watching.watch(
                    user=user, category=Category.objects.get(slug="proposals")
                )

    def _ward_coordination(self, users):
        """区間調整: a category only the 23 wards (and the office) read, with
        a thread the wards' staff coordinate in."""
        category, _created = Category.objects.get_or_create(
            slug="ward-coordination",
            defaults={
                "name": "区間調整",
                "description": "特別区の間で事業の分担や日程を調整します。"
                "特別区と事務局の職員だけが読めます。",
                "order": 65,
                "readers": Category.Readers.WARDS,
            },
        )
        thread = collaboration.thread_start(
            category=category,
            author=users["chiyoda@example.jp"],
            title="全国連携フェア（令和8年度）の担当区の割り振りについて",
            body="来年度の全国連携フェアについて、各区の担当日と会場の案を"
            "共有します。\n\n- 6月：千代田区\n- 9月：中央区\n- 11月：新宿区\n\n"
            "ご都合の悪い月があれば今月末までにお知らせください。",
        )
        posts.post_reply(
            thread=thread,
            author=users["chuo@example.jp"],
            body="中央区です。9月で承知しました。会場は区民センターを仮押さえします。",
        )
        posts.post_reply(
            thread=thread,
            author=users["shinjuku@example.jp"],
            body="新宿区です。11月は区の行事と重なるため、10月に変更できないか"
            "ご相談させてください。",
        )

    def _registrations(self, users):
        """An exchange meeting six weeks ahead taking sign-ups: its four
        seats taken by 七尾市 and 金沢市, 弘前市's attendee waiting. Its
        dates follow today's, so the sign-ups are always still open."""
        today = timezone.localdate()
        meeting = collaboration.thread_start(
            category=Category.objects.get(slug="participation"),
            author=users["chiyoda@example.jp"],
            title="特別区全国連携プロジェクト 意見交換会のご案内",
            body="会員自治体と特別区の担当者による意見交換会を開催します。"
            "会場（千代田区役所）またはオンラインでご参加いただけます。\n\n"
            "参加される方は、このページの「参加申込」からお申し込みください。",
            details={
                "starts_on": today + datetime.timedelta(days=42),
                "ends_on": today + datetime.timedelta(days=42),
                "place": "千代田区役所 4階会議室",
                "contact": "千代田区 地域振興課",
            },
        )
        registrations.registration_configure(
            event=meeting.event,
            actor=users["chiyoda@example.jp"],
            is_open=True,
            capacity=4,
            modes="both",
            application_deadline=today + datetime.timedelta(days=28),
        )
        for email, name, department, attendance in [
            ("nanao@example.jp", "七尾 太郎", "観光交流課", "on_site"),
            ("nanao@example.jp", "能登 花子", "観光交流課", "online"),
            ("kanazawa@example.jp", "金沢 次郎", "観光政策課", "on_site"),
            ("kanazawa@example.jp", "兼六 京子", "国際交流課", "online"),
            ("hirosaki@example.jp", "弘前 桜子", "観光課", "on_site"),
        ]:
            registrations.attendee_register(
                event=meeting.event,
                actor=users[email],
                name=name,
                department=department,
                attendance=attendance,
            )

    def _backdate(self, thread, moment):
        Thread.objects.filter(pk=thread.pk).update(
            created_at=moment, last_activity_at=moment
        )
        thread.posts.filter(position=0).update(created_at=moment)

    def _backdate_reply(self, thread, position, moment):
        thread.posts.filter(position=position).update(created_at=moment)
        Thread.objects.filter(pk=thread.pk).update(last_activity_at=moment)
