from allauth.core.ratelimit import consume_or_429
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.generic import FormView, TemplateView, View

from ..forms import JoinForm
from ..models import MembershipApplication
from ..services import applications


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
            applications.application_submit(
                organisation=data["organisation"],
                department=data["department"],
                contact_person=data["contact_person"],
                email=data["email"],
                phone=data["phone"],
                purpose=data["purpose"],
            )
        except ValidationError as error:
            form.add_error("organisation", error)
            return self.form_invalid(form)
        # The same answer whether or not the address has an account.
        return redirect("join_sent")


@method_decorator(login_not_required, name="dispatch")
class JoinSentView(TemplateView):
    template_name = "members/join_sent.html"


@method_decorator(login_not_required, name="dispatch")
class JoinConfirmView(View):
    """The mailed link: shows the application, and sends it on when confirmed."""

    template_name = "members/join_confirm.html"

    def get(self, request, token):
        try:
            application = applications.application_from_token(token=token)
        except ValidationError as error:
            return self.render(error=error)
        return self.render(application=application)

    def post(self, request, token):
        try:
            application = applications.application_from_token(token=token)
            applications.application_confirm(application=application)
        except ValidationError as error:
            return self.render(error=error)
        return redirect("join_done")

    def render(self, *, application=None, error=None):
        return render(
            self.request,
            self.template_name,
            {
                "application": application,
                "error": error,
                "sent": application is not None
                and application.status != MembershipApplication.Status.UNCONFIRMED,
            },
        )


@method_decorator(login_not_required, name="dispatch")
class JoinDoneView(TemplateView):
    template_name = "members/join_done.html"
