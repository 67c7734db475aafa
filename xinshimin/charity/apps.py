from django.apps import AppConfig


class CharityConfig(AppConfig):
    name = "xinshimin.charity"
    label = "charity"
