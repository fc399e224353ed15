from django.urls import path

from .views import (
    attachments,
    collaboration,
    drafts,
    mail,
    moderation,
    notifications,
    overview,
    posts,
    registrations,
    search,
    threads,
)

app_name = "boards"

urlpatterns = [
    path("", threads.BoardHomeView.as_view(), name="home"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("c/<slug:slug>/", threads.CategoryView.as_view(), name="category"),
    path(
        "c/<slug:slug>/new/", threads.ThreadCreateView.as_view(), name="thread_create"
    ),
    path("t/<int:pk>/", threads.ThreadView.as_view(), name="thread"),
    path("t/<int:pk>/reply/", posts.ReplyView.as_view(), name="reply"),
    path("drafts/", drafts.DraftListView.as_view(), name="draft_list"),
    path(
        "drafts/<int:pk>/delete/",
        drafts.DraftDeleteView.as_view(),
        name="draft_delete",
    ),
    path("p/<int:pk>/", posts.post_permalink, name="post"),
    path("p/<int:pk>/edit/", posts.PostEditView.as_view(), name="post_edit"),
    path("p/<int:pk>/delete/", posts.PostDeleteView.as_view(), name="post_delete"),
    path("p/<int:pk>/history/", posts.PostHistoryView.as_view(), name="post_history"),
    path("t/<int:pk>/answer/", collaboration.AnswerView.as_view(), name="answer"),
    path("t/<int:pk>/interest/", collaboration.InterestView.as_view(), name="interest"),
    path(
        "t/<int:pk>/status/",
        collaboration.ProposalStatusView.as_view(),
        name="proposal_status",
    ),
    path(
        "t/<int:pk>/registration/settings/",
        registrations.RegistrationSettingsView.as_view(),
        name="registration_settings",
    ),
    path(
        "t/<int:pk>/registration/",
        registrations.AttendeeAddView.as_view(),
        name="attendee_add",
    ),
    path(
        "t/<int:pk>/registration/attendees/",
        registrations.AttendeeListView.as_view(),
        name="attendee_list",
    ),
    path(
        "t/<int:pk>/registration/attendees.<str:fmt>",
        registrations.AttendeeExportView.as_view(),
        name="attendee_export",
    ),
    path(
        "attendees/<int:pk>/cancel/",
        registrations.AttendeeCancelView.as_view(),
        name="attendee_cancel",
    ),
    path(
        "mail/new/<str:token>/",
        mail.MailThreadConfirmView.as_view(),
        name="mail_thread_confirm",
    ),
    path("addressed/", collaboration.AddressedView.as_view(), name="addressed"),
    path(
        "organisations/<int:pk>/",
        overview.OrganisationDashboardView.as_view(),
        name="organisation_dashboard",
    ),
    path(
        "export/realised.xlsx",
        collaboration.RealisedExportView.as_view(),
        name="realised_export",
    ),
    path(
        "files/<int:pk>/<str:name>",
        attachments.download,
        name="attachment_download",
    ),
    path(
        "files/<int:pk>/thumbnail/",
        attachments.thumbnail,
        name="attachment_thumbnail",
    ),
    path("t/<int:pk>/hide/", moderation.ThreadHideView.as_view(), name="thread_hide"),
    path(
        "t/<int:pk>/restore/",
        moderation.ThreadRestoreView.as_view(),
        name="thread_restore",
    ),
    path("t/<int:pk>/lock/", moderation.ThreadLockView.as_view(), name="thread_lock"),
    path(
        "t/<int:pk>/unlock/",
        moderation.ThreadUnlockView.as_view(),
        name="thread_unlock",
    ),
    path("t/<int:pk>/pin/", moderation.ThreadPinView.as_view(), name="thread_pin"),
    path(
        "t/<int:pk>/unpin/", moderation.ThreadUnpinView.as_view(), name="thread_unpin"
    ),
    path("t/<int:pk>/move/", moderation.ThreadMoveView.as_view(), name="thread_move"),
    path(
        "t/<int:pk>/split/", moderation.ThreadSplitView.as_view(), name="thread_split"
    ),
    path(
        "t/<int:pk>/merge/", moderation.ThreadMergeView.as_view(), name="thread_merge"
    ),
    path("p/<int:pk>/hide/", moderation.PostHideView.as_view(), name="post_hide"),
    path(
        "p/<int:pk>/restore/", moderation.PostRestoreView.as_view(), name="post_restore"
    ),
    path(
        "p/<int:pk>/report/", moderation.ReportCreateView.as_view(), name="post_report"
    ),
    path(
        "notifications/",
        notifications.NotificationListView.as_view(),
        name="notification_list",
    ),
    path(
        "notifications/<int:pk>/open/",
        notifications.notification_open,
        name="notification_open",
    ),
    path(
        "notifications/read-all/",
        notifications.NotificationReadAllView.as_view(),
        name="notification_read_all",
    ),
    path(
        "notifications/settings/",
        notifications.NotificationSettingsView.as_view(),
        name="notification_settings",
    ),
    path(
        "t/<int:pk>/watch/",
        notifications.ThreadWatchView.as_view(),
        name="thread_watch",
    ),
    path(
        "c/<slug:slug>/watch/",
        notifications.CategoryWatchView.as_view(),
        name="category_watch",
    ),
    path(
        "t/<int:pk>/organisation-watch/",
        notifications.OrganisationThreadWatchView.as_view(),
        name="thread_organisation_watch",
    ),
    path(
        "c/<slug:slug>/organisation-watch/",
        notifications.OrganisationCategoryWatchView.as_view(),
        name="category_organisation_watch",
    ),
    path(
        "t/<int:pk>/details/",
        collaboration.ThreadDetailsEditView.as_view(),
        name="thread_details_edit",
    ),
    path(
        "t/<int:pk>/close/",
        collaboration.ThreadCloseView.as_view(),
        name="thread_close",
    ),
    path(
        "unsubscribe/<str:token>/",
        notifications.UnsubscribeView.as_view(),
        name="notification_unsubscribe",
    ),
]
