from django.core.management.base import BaseCommand, CommandError

from xinshimin.audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the audit hash chain and name the first broken event (xinshimin audit verify)."

    def handle(self, *args: object, **options: object) -> None:
        report = audit_verify()
        if not report.ok:
            raise CommandError(str(report))
        self.stdout.write(self.style.SUCCESS(str(report)))
