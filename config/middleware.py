"""Requests refused before any view reads them."""

from django.core.exceptions import BadRequest


class NulQueryMiddleware:
    """A query string holding a NUL character (%00) is a bad request.

    No parameter of the site can hold one, and PostgreSQL refuses to compare
    text with one: a value Django passes straight to a query (an admin list
    filter) would otherwise end in a server error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise BadRequest("NUL character in the query string")
        return self.get_response(request)
