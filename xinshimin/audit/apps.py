from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "xinshimin.audit"
    label = "audit"
    verbose_name = "审计日志 Audit trail"
