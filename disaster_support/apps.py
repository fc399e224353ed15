from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisasterSupportConfig(AppConfig):
    name = "disaster_support"
    verbose_name = _("Disaster support")
