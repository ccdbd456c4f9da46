from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from contracts.models import AssurancePack


class Command(BaseCommand):
    help = (
        "Recompute a signed-off assurance pack's SHA-256 digest from its stored snapshot and "
        "say whether it matches the digest the pack prints. Exits 0 when it matches, 1 when it "
        "does not (or the pack is a draft, is still being signed off, or does not exist)."
    )

    def add_arguments(self, parser):
        parser.add_argument("pack", type=int, help="The pack's number (as in /assurance/<id>/).")

    def handle(self, *args, pack, **options):
        with scopes_disabled():
            found = AssurancePack.objects.select_related("contract").filter(pk=pack).first()
        if found is None:
            raise CommandError(f"No assurance pack {pack}.")
        if found.is_draft:
            raise CommandError(f"{found} is a draft: it has no digest until it is signed off.")
        if found.is_signing:
            raise CommandError(f"{found} is being signed off: it has no digest yet.")
        recomputed = found.computed_digest()
        if recomputed != found.digest:
            self.stderr.write(
                f"{found} (pack {pack}): the digest does NOT match.\n"
                f"  printed on the pack:          {found.digest}\n"
                f"  recomputed from its snapshot: {recomputed}"
            )
            raise SystemExit(1)
        self.stdout.write(
            self.style.SUCCESS(f"{found} (pack {pack}): the digest matches: {recomputed}")
        )
