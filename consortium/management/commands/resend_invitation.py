from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from consortium.services import send_invitation


class Command(BaseCommand):
    help = (
        "Email a person who has never set a password a new invitation link (the last one "
        "expired or was lost). Somebody who has set a password uses 'Forgot your password'."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--site-url", default=settings.CONCORD_SITE_URL)

    def handle(self, *args, username, site_url, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No person has the username {username!r}.")
        if user.has_usable_password():
            raise CommandError(
                f"{username} has set a password already: they can reset it with 'Forgot your "
                "password' on the sign-in page."
            )
        send_invitation(
            user=user,
            base_url=site_url,
            subject="Your invitation to Concord",
            opening="Here is a new link to set your password in Concord.",
        )
        self.stdout.write(f"We have emailed {user.email} a new link to set a password.")
