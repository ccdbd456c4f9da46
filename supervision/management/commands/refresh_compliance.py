from django.core.management.base import BaseCommand
from django_scopes import scopes_disabled

from consortium.models import Consortium
from supervision import compliance_store, tasks


class Command(BaseCommand):
    help = (
        "Bring every consortium's stored supervision compliance up to today's month (with "
        "--all, work every stored month out again). Pages do this themselves on their first "
        "read of a new month; run it early on the 1st (cron or a systemd timer) so that no "
        "page waits for it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            help="Work out every stored month again, not only new ones.",
        )
        parser.add_argument(
            "--in-background",
            action="store_true",
            help="Queue one task a consortium for the task workers instead of working here.",
        )

    def handle(self, *args, all=False, in_background=False, **options):
        with scopes_disabled():
            consortia = list(Consortium.objects.order_by("pk").values_list("pk", "name"))
        for pk, name in consortia:
            if in_background:
                tasks.refresh_compliance.enqueue(pk, all)
                self.stdout.write(f"{name}: supervision compliance queued for the task workers.")
                continue
            if all:
                compliance_store.refresh_consortium(pk)
            else:
                compliance_store.ensure_current(pk)
            self.stdout.write(f"{name}: supervision compliance up to date.")
