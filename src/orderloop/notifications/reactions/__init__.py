"""One module per area whose events customers or staff hear about (see notifications/consumers.py)."""
