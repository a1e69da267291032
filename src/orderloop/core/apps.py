from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "orderloop.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # The event spine's catalogue and its consumers live in each area (core/events.py, core/consumers.py).
        autodiscover_modules("event_types", "consumers")
