"""Logging filters named in settings.LOGGING (imported while logging is set up: no app imports here)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class PermissionDeniedOneLine(logging.Filter):
    """django.request logs every refused permission with the exception's traceback. A refusal is an
    expected answer, not a fault: keep its one warning line ("Forbidden (Permission denied): /path")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
