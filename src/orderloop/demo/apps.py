from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo shop's loader (`manage.py load_demo_data`): an entry point above every area. It has no
    models, so it shows nowhere in the admin and needs no translated name."""

    name = "orderloop.demo"
    label = "demo"
