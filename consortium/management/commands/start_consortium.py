from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from consortium import onboarding


class Command(BaseCommand):
    help = (
        "Start a consortium: create it, its lead organisation and its first administrator, "
        "and email the administrator a link to set a password (it works once and expires in "
        "three days); at their first sign-in they set up a second factor."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The consortium's name (unique).")
        parser.add_argument("--lead", required=True, help="The lead organisation's name.")
        parser.add_argument("--first-name", required=True)
        parser.add_argument("--last-name", required=True)
        parser.add_argument("--email", required=True, help="Where the invitation goes.")
        parser.add_argument(
            "--username", default="", help="The administrator's username (default: the email)."
        )
        parser.add_argument(
            "--site-url",
            default=settings.CONCORD_SITE_URL,
            help="Where Concord is served, for the link (default: CONCORD_SITE_URL).",
        )

    def handle(self, *args, name, lead, first_name, last_name, email, username, site_url, **o):
        try:
            started = onboarding.consortium_start(
                by=None,
                name=name,
                lead_name=lead,
                first_name=first_name,
                last_name=last_name,
                email=email,
                username=username,
                base_url=site_url,
            )
        except ValidationError as e:
            raise CommandError(" ".join(e.messages)) from None
        admin = started.administrator
        self.stdout.write(
            f"Started {started.consortium.name} with {started.lead.name} as its lead "
            f"organisation. {admin.get_full_name()} (username {admin.username}) is its "
            f"administrator: we have emailed {admin.email} a link to set a password."
        )
