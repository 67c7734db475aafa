from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    name = "xinshimin.residents"
    label = "residents"
