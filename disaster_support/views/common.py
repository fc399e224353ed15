from functools import cached_property

from django.http import HttpResponse

from .. import exports, permissions


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
