from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from consortium import security
from consortium.numbers import plural


class Command(BaseCommand):
    help = (
        "Remove every second factor of a person who lost theirs (after checking who they are "
        "out of band). If their role needs one, they set up a new one at their next sign-in."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why, for the security log.")

    @transaction.atomic
    def handle(self, *args, username, reason, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No person has the username {username!r}.")
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        StaticDevice.objects.filter(user=user).delete()
        security.log(
            security.Kind.FACTOR_REMOVED,
            user=user,
            detail=f"All second factors reset by the operator: {reason}",
        )
        self.stdout.write(
            f"Removed {plural(removed, 'authenticator')} and the recovery codes of {username}."
        )
