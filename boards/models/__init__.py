"""The board's models, one module per concern.

Every model is imported here, so `from boards.models import Thread` works
and Django finds them all; migration 0001 names attachment_path here too.
"""

from .attachments import Attachment, attachment_path
from .collaboration import (
    Addressee,
    AddresseeQuerySet,
    EventDetails,
    Interest,
    PamphletRequest,
    Proposal,
    ProposalStatusChange,
    Publicity,
    RealisedCollaboration,
)
from .drafts import Draft, DraftAttachment, DraftQuerySet
from .inquiries import (
    Answer,
    AnswerFile,
    AnswerVersion,
    Inquiry,
    InquiryAttachment,
    Question,
    Recipient,
)
from .mail import InboundMail, MailboxState, ReplyKey
from .moderation import ModerationLog, ModeratorMailSetting, Report
from .notifications import (
    Frequency,
    Notification,
    NotificationKind,
    NotificationSetting,
    OrganisationWatch,
    Watch,
)
from .reading import BoardVisit, ReadState
from .registrations import (
    Attendance,
    Attendee,
    AttendeeQuerySet,
    CalendarFeedKey,
    RegistrationSettings,
)
from .threads import (
    Category,
    OrganisationGroup,
    Post,
    PostManager,
    PostQuerySet,
    PostRevision,
    Thread,
    ThreadQuerySet,
    ThreadType,
)

__all__ = [
    "Addressee",
    "AddresseeQuerySet",
    "Answer",
    "AnswerFile",
    "AnswerVersion",
    "Attachment",
    "Attendance",
    "Attendee",
    "AttendeeQuerySet",
    "BoardVisit",
    "CalendarFeedKey",
    "Category",
    "Draft",
    "DraftAttachment",
    "DraftQuerySet",
    "EventDetails",
    "Frequency",
    "InboundMail",
    "Inquiry",
    "InquiryAttachment",
    "Interest",
    "MailboxState",
    "ModerationLog",
    "ModeratorMailSetting",
    "Notification",
    "NotificationKind",
    "NotificationSetting",
    "OrganisationGroup",
    "OrganisationWatch",
    "PamphletRequest",
    "Post",
    "PostManager",
    "PostQuerySet",
    "PostRevision",
    "Proposal",
    "ProposalStatusChange",
    "Publicity",
    "Question",
    "ReadState",
    "RealisedCollaboration",
    "Recipient",
    "RegistrationSettings",
    "ReplyKey",
    "Report",
    "Thread",
    "ThreadQuerySet",
    "ThreadType",
    "Watch",
    "attachment_path",
]
