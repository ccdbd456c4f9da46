from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from consortium import twofactor
from consortium.twofactor import DEMO_AUTHENTICATOR


class Command(BaseCommand):
    help = (
        "Print the current sign-in code of a demo user's demo authenticator (development "
        "only: it refuses to run with CONCORD_ENV=production)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if settings.PRODUCTION:
            raise CommandError("demo_code is for the demo only, never in production.")
        device = TOTPDevice.objects.filter(
            user__username=username, name=DEMO_AUTHENTICATOR, confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"{username!r} has no demo authenticator (run seed_demo).")
        # A code is accepted once: the next window's code if this one was used.
        code = twofactor.demo_code(device.user)
        if code is None:
            raise CommandError("That code was just used; wait 30 seconds and try again.")
        self.stdout.write(code)
