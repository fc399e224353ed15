"""照会 pages: the list, the builder, answering (on the page or by Excel),
progress, reminders and the sender's exports."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe
from django.views.generic import FormView, TemplateView, View

from members.common.numbers import row_number
from members.models import Organisation

from ..inquiries import permissions, selectors, sheets
from ..inquiries.forms import (
    AnswerForm,
    AnswerUploadForm,
    ExtendForm,
    InquiryForm,
    QuestionForm,
    QuestionFormSet,
)
from ..inquiries.values import display_value
from ..models import Answer, AnswerFile, InquiryAttachment, Question
from ..services import inquiries as services
from .attachments import FILE_CSP, _file_response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 30


def _download(data, content_type, name):
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _inquiry_file_name(inquiry, suffix):
    return f"inquiry-{inquiry.reference or inquiry.pk}-{suffix}"


class InquiryListView(TemplateView):
    """What the organisation must answer, and what it sent."""

    template_name = "boards/inquiries/inquiry_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        received = Paginator(selectors.received(user), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        for recipient in received:
            recipient.state = selectors.answer_state(recipient)
            recipient.can_answer = recipient.inquiry.accepts_answers()
        sent = Paginator(selectors.sent(user), PAGE_SIZE).get_page(
            self.request.GET.get("sent_page")
        )
        return super().get_context_data(
            received=received,
            sent=sent,
            can_send=permissions.can_send_inquiry(user),
            **kwargs,
        )


class InquiryCreateView(FormView):
    template_name = "boards/inquiries/inquiry_form.html"
    form_class = InquiryForm

    def dispatch(self, request, *args, **kwargs):
        if not permissions.can_send_inquiry(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        try:
            inquiry = services.inquiry_create(
                actor=self.request.user, **form.service_arguments()
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The draft was saved. Now add the questions."))
        return redirect("inquiries:questions", pk=inquiry.pk)


class InquiryEditView(InquiryCreateView):
    def dispatch(self, request, *args, pk, **kwargs):
        self.inquiry = permissions.access_managed_inquiry(request.user, pk)
        if not permissions.can_edit_inquiry(request.user, self.inquiry):
            raise PermissionDenied
        return FormView.dispatch(self, request, *args, pk=pk, **kwargs)

    def get_initial(self):
        return InquiryForm.initial_from(self.inquiry)

    def get_context_data(self, **kwargs):
        return super().get_context_data(inquiry=self.inquiry, **kwargs)

    def form_valid(self, form):
        try:
            services.inquiry_update(
                inquiry=self.inquiry,
                actor=self.request.user,
                **form.service_arguments(),
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The draft was saved."))
        return redirect("inquiries:detail", pk=self.inquiry.pk)


def _reordered(formset, action):
    """The builder's posted questions after an add, remove or move button,
    as initial data for a fresh formset (nothing is saved)."""
    rows = []
    for form in formset.forms:
        rows.append({name: form[name].value() for name in QuestionForm.base_fields})
    kind, _sep, index = action.partition("-")
    index = row_number(index)
    if kind == "add":
        rows.append({"kind": Question.Kind.SHORT_TEXT, "cell_kind": "number"})
    elif index is not None and 0 <= index < len(rows):
        if kind == "remove":
            rows.pop(index)
        elif kind == "up" and index > 0:
            rows[index - 1], rows[index] = rows[index], rows[index - 1]
        elif kind == "down" and index < len(rows) - 1:
            rows[index + 1], rows[index] = rows[index], rows[index + 1]
    if not rows:
        rows.append({"kind": Question.Kind.SHORT_TEXT, "cell_kind": "number"})
    for row in rows:
        row["required"] = row.get("required") in (True, "on", "true")
    return rows


class QuestionBuilderView(View):
    """The ordered questions of a draft: server-rendered, one button each to
    add, remove and move; saved only with the save button."""

    template_name = "boards/inquiries/question_builder.html"

    def dispatch(self, request, *args, pk, **kwargs):
        self.inquiry = permissions.access_managed_inquiry(request.user, pk)
        if not permissions.can_edit_inquiry(request.user, self.inquiry):
            raise PermissionDenied
        return super().dispatch(request, *args, pk=pk, **kwargs)

    def _render(self, formset):
        return render(
            self.request,
            self.template_name,
            {"inquiry": self.inquiry, "formset": formset},
        )

    def get(self, request, pk):
        initial = [QuestionForm.initial_from(q) for q in self.inquiry.questions.all()]
        formset = QuestionFormSet(
            initial=initial or [{"kind": Question.Kind.SHORT_TEXT}]
        )
        return self._render(formset)

    def post(self, request, pk):
        formset = QuestionFormSet(request.POST)
        action = request.POST.get("action", "save")
        if action != "save":
            return self._render(QuestionFormSet(initial=_reordered(formset, action)))
        if not formset.is_valid():
            return self._render(formset)
        questions = [form.cleaned_data["question"] for form in formset.forms]
        services.inquiry_set_questions(
            inquiry=self.inquiry, actor=request.user, questions=questions
        )
        messages.success(request, _("The questions were saved."))
        return redirect("inquiries:detail", pk=pk)


class InquiryDetailView(TemplateView):
    """The inquiry as those asked read it; its sender's buttons too."""

    template_name = "boards/inquiries/inquiry_detail.html"

    def get_context_data(self, pk, **kwargs):
        user = self.request.user
        inquiry = permissions.access_inquiry(user, pk)
        is_recipient = permissions.is_recipient(user, inquiry)
        answer = (
            services.answer_for(inquiry=inquiry, organisation=user.organisation)
            if is_recipient
            else None
        )
        can_manage = permissions.can_manage_inquiry(user, inquiry)
        return super().get_context_data(
            inquiry=inquiry,
            # Those asked are not told whom else the sender chose.
            audience_names=_audience_names(inquiry) if can_manage else [],
            questions=inquiry.questions.all(),
            attachments=inquiry.attachments.all(),
            deadline=sheets.deadline_text(inquiry),
            is_recipient=is_recipient,
            answer=answer,
            can_answer=permissions.can_answer(user, inquiry),
            can_manage=can_manage,
            can_edit=permissions.can_edit_inquiry(user, inquiry),
            totals=selectors.shared_totals(inquiry)
            if permissions.can_see_shared_results(user, inquiry)
            and inquiry.status != inquiry.Status.DRAFT
            else None,
            **kwargs,
        )


def _audience_names(inquiry):
    """Whom the addressing names: prefectures, kinds or organisations."""
    match inquiry.audience:
        case inquiry.Audience.PREFECTURES:
            return [p.name for p in inquiry.audience_prefectures.order_by("code")]
        case inquiry.Audience.KINDS:
            labels = dict(Organisation.Kind.choices)
            return [labels[kind] for kind in inquiry.audience_kinds]
        case inquiry.Audience.CHOSEN:
            chosen = inquiry.audience_organisations.with_prefecture().order_by("code")
            return [organisation.full_name for organisation in chosen]
    return []


class InquirySendView(View):
    http_method_names = ["post"]

    def post(self, request, pk):
        inquiry = permissions.access_managed_inquiry(request.user, pk)
        if not permissions.can_edit_inquiry(request.user, inquiry):
            raise PermissionDenied
        try:
            services.inquiry_send(inquiry=inquiry, actor=request.user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("inquiries:detail", pk=pk)
        messages.success(
            request,
            _("The inquiry %(reference)s was sent.") % {"reference": inquiry.reference},
        )
        return redirect("inquiries:progress", pk=pk)


def _answer_rows(questions, values):
    """(question, text, value, table rows or None) for showing an answer."""
    rows = []
    for question in questions:
        value = values.get(question.key)
        table = (
            list(zip(question.table_rows, value, strict=False))
            if question.kind == Question.Kind.TABLE and value
            else None
        )
        rows.append((question, display_value(question, value), value, table))
    return rows


class AnswerView(View):
    """The organisation's own answer: fill in, save, submit, or upload a sheet."""

    template_name = "boards/inquiries/answer_form.html"

    def dispatch(self, request, *args, pk, **kwargs):
        self.inquiry = permissions.access_inquiry(request.user, pk)
        self.recipient = permissions.access_recipient(request.user, self.inquiry)
        self.organisation = self.recipient.organisation
        self.answer = services.answer_for(
            inquiry=self.inquiry, organisation=self.organisation
        )
        self.questions = list(self.inquiry.questions.all())
        return super().dispatch(request, *args, pk=pk, **kwargs)

    def _render(self, form=None, upload_form=None, upload_errors=(), status=200):
        can_answer = permissions.can_answer(self.request.user, self.inquiry)
        if form is None and can_answer:
            form = AnswerForm(questions=self.questions, answer=self.answer)
        submitted = (
            self.answer.versions.select_related("submitted_by").first()
            if self.answer
            else None
        )
        return render(
            self.request,
            self.template_name,
            {
                "inquiry": self.inquiry,
                "organisation": self.organisation,
                "answer": self.answer,
                "form": form,
                "questions": self.questions,
                "upload_form": upload_form or AnswerUploadForm(),
                "upload_errors": upload_errors,
                "can_answer": can_answer,
                "deadline": sheets.deadline_text(self.inquiry),
                "versions": self.answer.versions.select_related("submitted_by")
                if self.answer
                else [],
                "submitted_rows": _answer_rows(self.questions, submitted.values)
                if submitted
                else [],
                "submitted": submitted,
                "question_fields": _question_fields(form, self.questions, self.answer)
                if form
                else [],
            },
            status=status,
        )

    def get(self, request, pk):
        return self._render()

    def post(self, request, pk):
        if not permissions.can_answer(request.user, self.inquiry):
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "not_applicable":
            return self._save({}, submit=True, not_applicable=True)
        form = AnswerForm(
            request.POST, request.FILES, questions=self.questions, answer=self.answer
        )
        if not form.is_valid():
            messages.error(request, _("Please correct the answers marked below."))
            return self._render(form=form, status=400)
        try:
            return self._save(
                form.cleaned_data["values"],
                submit=action == "submit",
                uploads=form.uploads,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_required_errors(error)
                messages.error(request, _("Please correct the answers marked below."))
                return self._render(form=form, status=400)
            raise

    def _save(self, values, *, submit, not_applicable=False, uploads=None):
        try:
            services.answer_save(
                inquiry=self.inquiry,
                organisation=self.organisation,
                actor=self.request.user,
                values=values,
                submit=submit,
                not_applicable=not_applicable,
                uploads=uploads,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                raise
            messages.error(self.request, error.messages[0])
            return redirect("inquiries:answer", pk=self.inquiry.pk)
        if not_applicable:
            messages.success(self.request, _("「Not applicable」 was submitted."))
        elif submit:
            messages.success(
                self.request, _("Your organisation's answer was submitted.")
            )
        else:
            messages.success(
                self.request, _("The draft was saved. It is not submitted yet.")
            )
        return redirect("inquiries:answer", pk=self.inquiry.pk)


def _question_fields(form, questions, answer):
    """(question, bound field or None, table grid or None, current file)."""
    values = answer.values if answer else {}
    rows = []
    for question in questions:
        if question.kind == Question.Kind.TABLE:
            rows.append((question, None, form.table_grid(question), None))
        else:
            current = values.get(question.key) if question.kind == "file" else None
            rows.append((question, form[f"q{question.pk}"], None, current))
    return rows


class AnswerSheetView(AnswerView):
    """The organisation's answer sheet (.xlsx), with its saved draft."""

    http_method_names = ["get"]

    def get(self, request, pk):
        data = sheets.answer_sheet(
            inquiry=self.inquiry, organisation=self.organisation, answer=self.answer
        )
        code = self.organisation.code or self.organisation.pk
        return _download(data, XLSX, _inquiry_file_name(self.inquiry, f"{code}.xlsx"))


class AnswerUploadView(AnswerView):
    """Submit the answer from a filled sheet: all of it, or nothing."""

    http_method_names = ["post"]

    def post(self, request, pk):
        if not permissions.can_answer(request.user, self.inquiry):
            raise PermissionDenied
        form = AnswerUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(upload_form=form, status=400)
        try:
            services.answer_import(
                inquiry=self.inquiry,
                organisation=self.organisation,
                actor=request.user,
                data=form.cleaned_data["sheet"],
            )
        except ValidationError as error:
            messages.error(
                request, _("The sheet was not taken; nothing of it was saved.")
            )
            return self._render(
                upload_form=form, upload_errors=error.messages, status=400
            )
        messages.success(
            request, _("The answer in the sheet was submitted for your organisation.")
        )
        return redirect("inquiries:answer", pk=pk)


class AnswerDetailView(TemplateView):
    """One organisation's answer, for the sender and the office."""

    template_name = "boards/inquiries/answer_detail.html"

    def get_context_data(self, pk, organisation_pk, **kwargs):
        inquiry = permissions.access_inquiry(self.request.user, pk)
        if not permissions.can_see_answers(self.request.user, inquiry):
            raise Http404
        answer = get_object_or_404(
            Answer.objects.select_related("organisation__prefecture", "submitted_by"),
            inquiry=inquiry,
            organisation_id=organisation_pk,
        )
        questions = list(inquiry.questions.all())
        versions = list(answer.versions.select_related("submitted_by"))
        return super().get_context_data(
            inquiry=inquiry,
            answer=answer,
            versions=versions,
            rows=_answer_rows(questions, versions[0].values) if versions else [],
            **kwargs,
        )


class ProgressView(TemplateView):
    template_name = "boards/inquiries/progress.html"

    def get_context_data(self, pk, **kwargs):
        inquiry = permissions.access_managed_inquiry(self.request.user, pk)
        progress = selectors.progress(inquiry)
        return super().get_context_data(
            inquiry=inquiry,
            progress=progress,
            deadline=sheets.deadline_text(inquiry),
            can_remind=inquiry.accepts_answers(),
            extend_form=ExtendForm(),
            **kwargs,
        )


class _ManageAction(View):
    http_method_names = ["post"]

    def post(self, request, pk):
        inquiry = permissions.access_managed_inquiry(request.user, pk)
        try:
            message = self.act(inquiry)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, message)
        return redirect("inquiries:progress", pk=pk)


class RemindView(_ManageAction):
    def act(self, inquiry):
        count = services.inquiry_remind(inquiry=inquiry, actor=self.request.user)
        return _("A reminder is being mailed to %(count)s organisation(s).") % {
            "count": count
        }


class CloseView(_ManageAction):
    def act(self, inquiry):
        services.inquiry_close(inquiry=inquiry, actor=self.request.user)
        return _("The inquiry was closed; no more answers are taken.")


class ShareResultsView(_ManageAction):
    def act(self, inquiry):
        share = self.request.POST.get("share") == "1"
        services.inquiry_share_results(
            inquiry=inquiry, actor=self.request.user, share=share
        )
        if share:
            return _("The totals are now shown to the organisations asked.")
        return _("The totals are no longer shown to the organisations asked.")


class ExtendView(View):
    http_method_names = ["post"]

    def post(self, request, pk):
        inquiry = permissions.access_managed_inquiry(request.user, pk)
        form = ExtendForm(request.POST)
        if form.is_valid():
            try:
                services.inquiry_extend(
                    inquiry=inquiry, actor=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                messages.error(request, error.messages[0])
            else:
                messages.success(
                    request,
                    _("The deadline was extended; every organisation asked is told."),
                )
        else:
            messages.error(request, _("Give the new deadline as a date."))
        return redirect("inquiries:progress", pk=pk)


class ExportView(View):
    """Every answer as one workbook, or its main sheet as CSV."""

    http_method_names = ["get"]

    def get(self, request, pk, fmt):
        inquiry = permissions.access_managed_inquiry(request.user, pk)
        if fmt not in ("csv", "xlsx"):
            raise Http404
        if fmt == "csv":
            return _download(
                sheets.answers_csv(inquiry),
                "text/csv; charset=utf-8",
                _inquiry_file_name(inquiry, "answers.csv"),
            )
        return _download(
            sheets.answers_workbook(inquiry),
            XLSX,
            _inquiry_file_name(inquiry, "answers.xlsx"),
        )


@require_safe
@cache_control(private=True, no_cache=True)
@csp_override(FILE_CSP)
def attachment_download(request, pk, file_pk):
    """A file sent with the inquiry, for those who may read it."""
    inquiry = permissions.access_inquiry(request.user, pk)
    attachment = get_object_or_404(InquiryAttachment, inquiry=inquiry, pk=file_pk)
    return _file_response(
        request,
        attachment,
        attachment.file,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@require_safe
@cache_control(private=True, no_cache=True)
@csp_override(FILE_CSP)
def answer_file_download(request, pk, file_pk):
    """A file given in an answer: its organisation's staff, the sender, the office."""
    inquiry = permissions.access_inquiry(request.user, pk)
    stored = get_object_or_404(
        AnswerFile.objects.select_related("answer"), answer__inquiry=inquiry, pk=file_pk
    )
    if not permissions.can_read_answer(request.user, stored.answer):
        raise Http404
    return _file_response(
        request,
        stored,
        stored.file,
        as_attachment=True,
        filename=stored.original_name,
        content_type=stored.content_type,
    )
