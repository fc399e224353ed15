"""What the board pages have in common."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.generic import FormView


class ServiceFormView(FormView):
    """A form page whose valid form runs a service.

    ``act`` runs it with the cleaned data and returns the address to go to;
    a ValidationError it raises is shown at the top of the form instead.
    """

    success_message = ""

    def act(self, data):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            url = self.act(form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(url)
