from allauth.core.ratelimit import consume_or_429
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.generic import FormView, TemplateView

from .. import services
from ..forms import JoinForm


@method_decorator(login_not_required, name="dispatch")
class JoinView(FormView):
    """The public membership application form."""

    form_class = JoinForm
    template_name = "members/join_form.html"

    def post(self, request, *args, **kwargs):
        limited = consume_or_429(request, action="membership_application")
        if limited:
            return limited
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.application_submit(
                organisation=data["organisation"],
                department=data["department"],
                contact_person=data["contact_person"],
                email=data["email"],
                phone=data["phone"],
                purpose=data["purpose"],
            )
        except ValidationError as error:
            field = "email" if error.code == "email_in_use" else "organisation"
            form.add_error(field, error)
            return self.form_invalid(form)
        return redirect("join_done")


@method_decorator(login_not_required, name="dispatch")
class JoinDoneView(TemplateView):
    template_name = "members/join_done.html"
