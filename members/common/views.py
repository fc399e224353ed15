"""View pieces every app's pages share."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.shortcuts import redirect
from django.views.generic import FormView


def form_errors(form: Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form it came from.

    Errors for a field the form has go beside that field; the rest at the
    top of the form.
    """
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class RenderedInTransactionMixin:
    """A template view whose page is rendered before the view returns.

    ATOMIC_REQUESTS runs the view in a transaction, but Django renders a
    TemplateResponse after the view has returned and the transaction has
    committed: what the template reads then (a form's choices, the
    header's unread count, any lazy queryset) would each be read in a
    snapshot of its own. Rendered here, the whole page is read in the
    request's one snapshot.
    """

    def render_to_response(self, context, **response_kwargs):
        return super().render_to_response(context, **response_kwargs).render()


class ServiceFormView(FormView):
    """A form page whose valid form runs a service.

    ``act`` calls the service with the form and returns the address to go
    to; a ValidationError the service raises is shown on the form instead,
    and success is said with ``success_message``.
    """

    success_message = ""

    def act(self, form: Form) -> str:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            url = self.act(form)
        except ValidationError as error:
            form_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(url)
