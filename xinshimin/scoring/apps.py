from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "xinshimin.scoring"
    label = "scoring"
