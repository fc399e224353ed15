import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from boards.models import Inquiry
from boards.services import inquiries
from members import permissions
from members.models import Organisation, User

TITLE = "令和8年度 観光交流イベントの実施状況について(照会)"
BODY = """\
平素より特別区全国連携プロジェクトにご協力いただき、ありがとうございます。

来年度の連携事業の検討にあたり、各団体の観光交流イベントの実施状況を伺います。
お手数ですが、回答期限までにご回答ください。該当がない場合は「該当なし」として提出してください。

- 回答はこのページで、またはExcelの回答様式で提出できます。
- 団体として1件の回答をお願いします（担当者のどなたが提出しても構いません）。
"""
QUESTIONS = [
    {
        "kind": "number",
        "text": "今年度に実施した観光交流イベントの件数",
        "unit": "件",
        "required": True,
        "help_text": "オンライン開催を含みます。",
    },
    {
        "kind": "single_choice",
        "text": "特別区内での物産展への出展意向",
        "choices": ["出展したい", "検討中", "出展しない"],
        "required": True,
    },
    {
        "kind": "long_text",
        "text": "連携を希望する事業・ご意見",
        "help_text": "任意です。",
    },
]
# 七尾市 and 金沢市, the Ishikawa members of the demo.
RECIPIENT_CODES = ["172022", "172014"]


class Command(BaseCommand):
    help = "Add an open demonstration 照会 from the office (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true")

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo_inquiries only runs with DJANGO_DEBUG on.")
        if Inquiry.objects.filter(title=TITLE).exists():
            self.stdout.write("The demo inquiry exists; nothing added.")
            return
        office = permissions.office_staff_users(User.objects.order_by("pk")).first()
        if office is None:
            raise CommandError("Run seed_demo first: there is no office account.")
        inquiry = inquiries.inquiry_create(
            actor=office,
            title=TITLE,
            body=BODY,
            deadline_on=timezone.localdate() + datetime.timedelta(days=14),
            deadline_time=datetime.time(17, 0),
            audience=Inquiry.Audience.CHOSEN,
            organisations=list(Organisation.objects.filter(code__in=RECIPIENT_CODES)),
            share_results=True,
        )
        inquiries.inquiry_set_questions(
            inquiry=inquiry, actor=office, questions=QUESTIONS
        )
        inquiries.inquiry_send(inquiry=inquiry, actor=office)
        self.stdout.write(self.style.SUCCESS(f"Demo inquiry {inquiry.reference} sent."))
