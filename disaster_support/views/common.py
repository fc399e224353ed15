from functools import cached_property

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.generic import FormView

from .. import exports, permissions


def form_errors(form: Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form it came from."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class ServiceFormView(FormView):
    """A form whose valid data a service records: save() calls the service
    and returns where to go next; a ValidationError it raises is shown on
    the form instead."""

    success_message: str

    def save(self, form: Form) -> str:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            next_url = self.save(form)
        except ValidationError as error:
            form_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(next_url)


class ActingForMixin:
    """The office acts for anyone (its form asks for whom); anyone else acts
    in their own organisation's name (permissions.acting_organisation)."""

    @cached_property
    def acting_for(self):
        return permissions.acting_organisation(self.request.user)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "office": self.acting_for is None}


def download(fmt: str, content, name: str) -> HttpResponse:
    """A table as a csv or xlsx file to save under `name`."""
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else exports.XLSX_TYPE
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
