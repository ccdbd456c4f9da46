import importlib

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_scopes import scopes_disabled

from consortium.demo import DEMO_USERS, DemoContext

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
            # Each app that has demo data contributes it in dependency order.
            for app in ("consortium", "funding", "contracts", "supervision", "risks"):
                if app not in settings.INSTALLED_APPS:
                    continue
                try:
                    module = importlib.import_module(f"{app}.demo")
                except ModuleNotFoundError:
                    continue
                module.seed(ctx)
        self.stdout.write(self.style.SUCCESS(f"Demo consortium ready: {ctx.consortium.name}"))
        self.stdout.write("Sign in at http://127.0.0.1:8000/ as any of these users:")
        for username, _first, _last, role, org_key in DEMO_USERS:
            org = ctx.orgs[org_key]
            self.stdout.write(f"  {username:<13} {role.label:<20} {org.name}")
        self.stdout.write(f"Password for all of them: {password}")
