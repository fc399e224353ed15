from django.core.exceptions import ValidationError
from django.forms import Form


def form_errors(form: Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form it came from."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def attachment(response, name):
    """Mark a download response with its file name."""
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
