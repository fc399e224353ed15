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
from .mail import InboundMail, ReplyKey
from .moderation import ModerationLog, ModeratorMailSetting, Report
from .notifications import (
    Frequency,
    Notification,
    NotificationKind,
    NotificationSetting,
    Watch,
)
from .reading import BoardVisit, ReadState
from .threads import (
    Category,
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
    "Attachment",
    "BoardVisit",
    "Category",
    "EventDetails",
    "Frequency",
    "InboundMail",
    "Interest",
    "ModerationLog",
    "ModeratorMailSetting",
    "Notification",
    "NotificationKind",
    "NotificationSetting",
    "PamphletRequest",
    "Post",
    "PostManager",
    "PostQuerySet",
    "PostRevision",
    "Proposal",
    "ProposalStatusChange",
    "Publicity",
    "ReadState",
    "RealisedCollaboration",
    "ReplyKey",
    "Report",
    "Thread",
    "ThreadQuerySet",
    "ThreadType",
    "Watch",
    "attachment_path",
]
