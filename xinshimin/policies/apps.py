from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "xinshimin.policies"
    label = "policies"
