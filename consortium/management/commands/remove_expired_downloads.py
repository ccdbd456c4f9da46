from django.core.management.base import BaseCommand

from consortium import downloads
from consortium.numbers import plural


class Command(BaseCommand):
    help = (
        "Delete the prepared list downloads (and their files) kept longer than "
        "CONCORD_DOWNLOAD_KEEP_HOURS. Run it daily."
    )

    def handle(self, *args, **options):
        removed = downloads.remove_expired()
        self.stdout.write(f"Removed {plural(removed, 'expired download')}.")
