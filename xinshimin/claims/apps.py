from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "xinshimin.claims"
    label = "claims"
