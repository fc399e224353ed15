"""The register of agreements (協定・覚書): list and map, page, the office's
forms, and the signed document."""

from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from members.common.views import ServiceFormView

from .. import agreements, permissions
from ..agreement_map import agreement_map_svg
from ..forms import AgreementFilterForm, AgreementForm
from ..models import Agreement


class AgreementReadMixin:
    def dispatch(self, request, *args, **kwargs):
        if not permissions.can_view_agreements(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AgreementListView(AgreementReadMixin, TemplateView):
    template_name = "disaster_support/agreement_list.html"

    def get_context_data(self, **kwargs):
        form = AgreementFilterForm(self.request.GET or None)
        rows = Agreement.objects.all()
        if form.is_valid():
            filters = form.cleaned_data
            if filters["kind"]:
                rows = rows.filter(kind=filters["kind"])
            if filters["scope"]:
                rows = rows.filter(scopes__contains=[filters["scope"]])
            if filters["organisation"]:
                rows = rows.filter(parties=filters["organisation"])
            if filters["prefecture"]:
                prefecture = filters["prefecture"]
                rows = rows.filter(
                    Q(parties=prefecture) | Q(parties__prefecture=prefecture)
                )
        rows = list(rows.distinct().with_parties())
        return super().get_context_data(
            form=form,
            agreements=rows,
            agreement_map=agreement_map_svg(rows),
            can_manage=permissions.can_manage_agreements(self.request.user),
            **kwargs,
        )


class AgreementDetailView(AgreementReadMixin, TemplateView):
    template_name = "disaster_support/agreement_detail.html"

    def get_context_data(self, **kwargs):
        agreement = get_object_or_404(
            Agreement.objects.with_parties(), pk=self.kwargs["pk"]
        )
        return super().get_context_data(
            agreement=agreement,
            can_manage=permissions.can_manage_agreements(self.request.user),
            **kwargs,
        )


class AgreementDocumentView(AgreementReadMixin, View):
    def get(self, request, pk):
        agreement = get_object_or_404(Agreement, pk=pk)
        if not agreement.document:
            raise Http404
        return FileResponse(
            agreement.document.open("rb"),
            as_attachment=True,
            filename=f"{agreement.title}.pdf",
            content_type="application/pdf",
        )


class AgreementFormMixin:
    form_class = AgreementForm
    template_name = "disaster_support/agreement_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not permissions.can_manage_agreements(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def fields(self, form):
        fields = dict(form.cleaned_data)
        if not fields["document"]:
            del fields["document"]
        return fields


class AgreementCreateView(AgreementFormMixin, ServiceFormView):
    success_message = gettext_lazy("The agreement was registered.")

    def act(self, form):
        agreement = agreements.agreement_create(
            actor=self.request.user, **self.fields(form)
        )
        return reverse("disaster_support:agreement_detail", kwargs={"pk": agreement.pk})


class AgreementUpdateView(AgreementFormMixin, ServiceFormView):
    success_message = gettext_lazy("The agreement was saved.")

    @cached_property
    def agreement(self):
        return get_object_or_404(Agreement, pk=self.kwargs["pk"])

    def get_initial(self):
        agreement = self.agreement
        return {
            "title": agreement.title,
            "kind": agreement.kind,
            "parties": list(agreement.parties.all()),
            "signed_on": agreement.signed_on,
            "scopes": agreement.scopes,
            "status": agreement.status,
            "ended_on": agreement.ended_on,
            "note": agreement.note,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(agreement=self.agreement, **kwargs)

    def act(self, form):
        agreements.agreement_update(
            agreement=self.agreement, actor=self.request.user, **self.fields(form)
        )
        return reverse(
            "disaster_support:agreement_detail", kwargs={"pk": self.agreement.pk}
        )
