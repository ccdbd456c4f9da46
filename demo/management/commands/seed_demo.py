import base64

from django.core.management.base import BaseCommand
from django.db import transaction
from django_scopes import scopes_disabled

from demo.consortium import DEMO_USERS, DemoContext, demo_authenticator
from demo.story import seed_all

DEFAULT_PASSWORD = "concord-demo"


class Command(BaseCommand):
    help = (
        "Build the demo consortium (idempotent: running it again changes nothing) and print "
        "the demo users."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD)

    def handle(self, *args, password, **options):
        with scopes_disabled(), transaction.atomic():
            ctx = DemoContext(password=password)
            seed_all(ctx)
        self.stdout.write(self.style.SUCCESS(f"Demo consortium ready: {ctx.consortium.name}"))
        self.stdout.write("Sign in at http://127.0.0.1:8000/ as any of these users:")
        for username, _first, _last, role, org_key in DEMO_USERS:
            org = ctx.orgs[org_key]
            self.stdout.write(f"  {username:<13} {role.label:<20} {org.name}")
        self.stdout.write(f"Password for all of them: {password}")
        self.stdout.write(
            "Each signs in with a second factor too. Add the key below to an authenticator app "
            "(time-based, 6 digits), or print the current code with "
            "`python manage.py demo_code USERNAME`:"
        )
        for username, *_ in DEMO_USERS:
            device = demo_authenticator(ctx.users[username])
            secret = base64.b32encode(device.bin_key).decode()
            self.stdout.write(f"  {username:<13} {secret}")
