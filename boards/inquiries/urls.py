from django.urls import path

from ..views import inquiries as views

app_name = "inquiries"

urlpatterns = [
    path("", views.InquiryListView.as_view(), name="list"),
    path("new/", views.InquiryCreateView.as_view(), name="create"),
    path("<int:pk>/", views.InquiryDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.InquiryEditView.as_view(), name="edit"),
    path("<int:pk>/questions/", views.QuestionBuilderView.as_view(), name="questions"),
    path("<int:pk>/send/", views.InquirySendView.as_view(), name="send"),
    path("<int:pk>/answer/", views.AnswerView.as_view(), name="answer"),
    path(
        "<int:pk>/answer/sheet.xlsx",
        views.AnswerSheetView.as_view(),
        name="answer_sheet",
    ),
    path(
        "<int:pk>/answer/upload/",
        views.AnswerUploadView.as_view(),
        name="answer_upload",
    ),
    path(
        "<int:pk>/answers/<int:organisation_pk>/",
        views.AnswerDetailView.as_view(),
        name="answer_detail",
    ),
    path("<int:pk>/progress/", views.ProgressView.as_view(), name="progress"),
    path("<int:pk>/remind/", views.RemindView.as_view(), name="remind"),
    path("<int:pk>/extend/", views.ExtendView.as_view(), name="extend"),
    path("<int:pk>/close/", views.CloseView.as_view(), name="close"),
    path("<int:pk>/share/", views.ShareResultsView.as_view(), name="share_results"),
    path(
        "<int:pk>/answers.<str:fmt>",
        views.ExportView.as_view(),
        name="export",
    ),
    path(
        "<int:pk>/files/<int:file_pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        "<int:pk>/answer-files/<int:file_pk>/",
        views.answer_file_download,
        name="answer_file_download",
    ),
]
