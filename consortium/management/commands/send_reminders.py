import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from consortium.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "Send each person one digest email of the reminders that became due, late or expiring "
        "for them. Run it daily (cron or a systemd timer); running it again sends nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", help="The day to remind about (YYYY-MM-DD); today if absent."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what would be sent; send and store nothing.",
        )
        parser.add_argument(
            "--in-background",
            action="store_true",
            help="Queue one task a person for the task workers (each tried again on failure) "
            "instead of sending here.",
        )

    def handle(self, *args, as_of=None, dry_run=False, in_background=False, **options):
        try:
            day = datetime.date.fromisoformat(as_of) if as_of else timezone.localdate()
        except ValueError:
            raise CommandError(f"--as-of must be a date as YYYY-MM-DD, not {as_of!r}.") from None
        outcome = send_reminders(as_of=day, dry_run=dry_run, in_background=in_background)
        if dry_run:
            for consortium, user, items in outcome.planned:
                self.stdout.write(f"{consortium} — {user.username} <{user.email}>:")
                for item in items:
                    self.stdout.write(f"  [{item.kind}] {item.text}")
            self.stdout.write(f"Dry run: {len(outcome.planned)} people; nothing sent or stored.")
            return
        if in_background:
            self.stdout.write(
                f"{outcome.queued} digest{'s' if outcome.queued != 1 else ''} queued for the "
                "task workers."
            )
            return
        self.stdout.write(
            f"{outcome.sent} digest{'s' if outcome.sent != 1 else ''} sent "
            f"({outcome.reminders} reminders); {outcome.failed} failed (retried next run)."
        )
        if outcome.failed:
            # A non-zero exit lets cron or systemd report the failure.
            raise CommandError(f"{outcome.failed} digests could not be sent.")
