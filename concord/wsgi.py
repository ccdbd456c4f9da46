import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "concord.settings")
application = get_wsgi_application()

# Production refuses to start with the demo's authenticators (their secrets are public).
from consortium.twofactor import refuse_demo_authenticators_in_production  # noqa: E402

refuse_demo_authenticators_in_production()
