from django.core.management.base import BaseCommand
from django_scopes import scopes_disabled

from consortium import audit
from consortium.numbers import plural


class Command(BaseCommand):
    help = (
        "Walk every consortium's audit chain and check each link's hash and seal. Reports the "
        "first broken link and exits with status 1; exits 0 when every chain holds."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--consortium", type=int, action="append", help="Check only this consortium's chain."
        )

    def handle(self, *args, consortium=None, **options):
        with scopes_disabled():
            broken, checked = audit.verify(consortium)
        if broken is not None:
            self.stderr.write(
                f"Audit chain broken after {plural(checked, 'link')} checked: {broken}"
            )
            raise SystemExit(1)
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {plural(checked, 'link')} checked.")
        )
