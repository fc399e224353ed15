from django.urls import path

from .views import attachments, collaboration, posts, search, threads

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
    path("addressed/", collaboration.AddressedView.as_view(), name="addressed"),
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
]
