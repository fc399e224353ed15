from allauth.core import ratelimit
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView, View

from members.common.views import ServiceFormView

from .. import exports, permissions, selectors
from ..forms import (
    ADDRESSED_TYPES,
    DETAIL_FORMS,
    AnswerForm,
    FiscalYearForm,
    ProposalStatusForm,
)
from ..models import Addressee, Proposal, Thread
from ..services import collaboration, moderation
from ..services.collaboration import DETAIL_MODELS


def collaboration_context(user, thread):
    """What the thread page shows of details, answers and interest."""
    answers = _answers_context(user, thread)
    interests = selectors.interested(thread)
    return {
        **answers,
        "interests": interests,
        "interested": any(i.organisation_id == user.organisation_id for i in interests),
        "can_mark_interest": permissions.can_mark_interest(user, thread),
        **_proposal_context(user, thread),
    }


def _answers_context(user, thread):
    """The addressed wards' answers, and the form for the user's own ward."""
    addressees = []
    if thread.category.thread_type in ADDRESSED_TYPES:
        collaboration.addressee_mark_read(thread=thread, user=user)
        addressees = list(
            thread.addressees.select_related("organisation", "answered_by").order_by(
                "organisation__code"
            )
        )
    mine = next(
        (a for a in addressees if a.organisation_id == user.organisation_id), None
    )
    return {
        "addressees": addressees,
        "can_see_answers": permissions.can_see_answers(user, thread),
        "my_addressee": mine,
        "answer_form": AnswerForm(
            initial={"state": mine.state, "comment": mine.comment},
            choices=selectors.answer_choices(thread),
        )
        if mine and permissions.can_answer_for(user, mine)
        else None,
    }


def _proposal_context(user, thread):
    """A proposal's status history, and the form to move it on."""
    proposal = getattr(thread, "proposal", None)
    can_change_status = (
        proposal is not None
        and permissions.can_change_proposal_status(user, thread)
        and selectors.status_choices(proposal)
    )
    return {
        "status_form": ProposalStatusForm(choices=selectors.status_choices(proposal))
        if can_change_status
        else None,
        "status_changes": proposal.status_changes.select_related(
            "changed_by__organisation__prefecture"
        )
        if proposal
        else [],
    }


class AnswerView(View):
    """A ward's answer to a thread addressed to it."""

    http_method_names = ["post"]

    def post(self, request, pk):
        thread = permissions.access_thread(request.user, pk)
        addressee = get_object_or_404(
            Addressee, thread=thread, organisation_id=request.user.organisation_id
        )
        form = AnswerForm(request.POST, choices=selectors.answer_choices(thread))
        if not form.is_valid():
            messages.error(request, _("Choose one of the answers."))
            return redirect("boards:thread", pk=pk)
        collaboration.addressee_answer(
            addressee=addressee,
            actor=request.user,
            state=form.cleaned_data["state"],
            comment=form.cleaned_data["comment"],
        )
        messages.success(request, _("Your ward's answer has been saved."))
        return redirect("boards:thread", pk=pk)


class InterestView(View):
    """Mark or withdraw 「関心あり」 for one's organisation."""

    http_method_names = ["post"]

    def post(self, request, pk):
        thread = permissions.access_thread(request.user, pk)
        # Each mark tells the thread's author; changing it back and forth
        # is refused for a while, without an error page.
        if not ratelimit.consume(
            request, action="interest", key=f"{request.user.pk}:{thread.pk}"
        ):
            messages.error(
                request,
                _(
                    "Your organisation's interest was changed too many times in "
                    "a short time. Please wait a few minutes and try again."
                ),
            )
            return redirect("boards:thread", pk=pk)
        if request.POST.get("withdraw"):
            collaboration.interest_unmark(thread=thread, actor=request.user)
            messages.success(request, _("Your organisation's interest was withdrawn."))
            return redirect("boards:thread", pk=pk)
        try:
            collaboration.interest_mark(thread=thread, actor=request.user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request, _("Your organisation is now marked as interested.")
            )
        return redirect("boards:thread", pk=pk)


class ProposalStatusView(View):
    http_method_names = ["post"]

    def post(self, request, pk):
        thread = permissions.access_thread(request.user, pk)
        proposal = get_object_or_404(Proposal, thread=thread)
        if not permissions.can_change_proposal_status(request.user, thread):
            raise PermissionDenied
        form = ProposalStatusForm(
            request.POST, choices=selectors.status_choices(proposal)
        )
        if not form.is_valid():
            messages.error(request, _("Choose the new status from the list."))
            return redirect("boards:thread", pk=pk)
        try:
            collaboration.proposal_set_status(
                proposal=proposal,
                actor=request.user,
                status=form.cleaned_data["status"],
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("The status of the proposal has been changed."))
        return redirect("boards:thread", pk=pk)


class ThreadDetailsEditView(ServiceFormView):
    """The author's organisation keeps a thread's details current."""

    template_name = "boards/thread_details_form.html"
    success_message = gettext_lazy("The details have been saved.")

    def dispatch(self, request, *args, **kwargs):
        self.thread = permissions.access_thread(request.user, kwargs["pk"])
        thread_type = self.thread.category.thread_type
        if thread_type not in DETAIL_MODELS:
            raise Http404
        if not permissions.can_edit_thread_details(request.user, self.thread):
            raise PermissionDenied
        self.record = get_object_or_404(DETAIL_MODELS[thread_type], thread=self.thread)
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        return DETAIL_FORMS[self.thread.category.thread_type]

    def get_form_kwargs(self):
        # A copy: the form writes to its instance while validating, and the
        # service saves the record it locks.
        record = type(self.record).objects.get(pk=self.record.pk)
        return {**super().get_form_kwargs(), "instance": record, "prefix": "details"}

    def get_context_data(self, **kwargs):
        return super().get_context_data(thread=self.thread, **kwargs)

    def act(self, form):
        collaboration.thread_details_update(
            thread=self.thread, actor=self.request.user, details=form.cleaned_data
        )
        return reverse("boards:thread", args=[self.thread.pk])


class ThreadCloseView(View):
    """The organisation that started a thread closes it to new replies."""

    http_method_names = ["post"]

    def post(self, request, pk):
        thread = permissions.access_thread(request.user, pk)
        if not permissions.can_close_thread(request.user, thread):
            raise PermissionDenied
        moderation.thread_close(thread=thread, actor=request.user)
        messages.success(request, _("The thread is closed to new replies."))
        return redirect("boards:thread", pk=pk)


class AddressedView(ListView):
    """What is addressed to the user's ward: unanswered first, oldest first."""

    template_name = "boards/addressed.html"
    context_object_name = "addressees"
    paginate_by = 50

    def get_queryset(self):
        return (
            Addressee.objects.filter(
                organisation_id=self.request.user.organisation_id,
                thread__in=permissions.visible_threads(
                    self.request.user, Thread.objects.all()
                ),
            )
            .select_related(
                "thread__category", "thread__organisation__prefecture", "answered_by"
            )
            .order_by(
                F("answered_at").asc(nulls_first=True), "thread__created_at", "pk"
            )
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            unanswered=Addressee.objects.filter(
                organisation_id=self.request.user.organisation_id,
                thread__in=permissions.visible_threads(
                    self.request.user, Thread.objects.all()
                ),
            )
            .unanswered()
            .count(),
            **kwargs,
        )


class RealisedExportView(View):
    """The office's workbook of realised collaborations, by 年度 and ward."""

    http_method_names = ["get"]

    def get(self, request):
        if not permissions.can_export_collaborations(request.user):
            raise PermissionDenied
        year = FiscalYearForm(request.GET).year()
        data = exports.realised_collaborations_xlsx(year)
        name = f"realised-collaborations-{year or 'all'}.xlsx"
        response = HttpResponse(
            data,
            content_type=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
