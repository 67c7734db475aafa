from django.apps import AppConfig


class IntegrityConfig(AppConfig):
    name = "xinshimin.integrity"
    label = "integrity"
