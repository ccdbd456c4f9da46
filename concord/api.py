"""The API for members' case systems, version 1 (/api/v1/): each app's routes on one
NinjaAPI, with the machinery of consortium.api (keys, problem documents, versions,
idempotency). The OpenAPI 3 schema is at /api/v1/openapi.json, its interactive docs at
/api/v1/docs, served from Concord's own static files."""

from ninja import NinjaAPI, Swagger

from consortium import api as machinery
from contracts.api import router as contracts
from funding.api import router as funding
from risks.api import router as risks
from supervision.api import router as supervision

DESCRIPTION = """\
Members' case systems file performance returns, payment-by-results claim lines and
supervision sessions here, under exactly the rules of Concord's screens.

* **Keys.** Send `Authorization: Bearer <key>`. Make a key in your sign-in settings
  (*API keys*); it acts with your roles, narrowed by its scopes, until it expires or is
  revoked.
* **Refusals** are problem documents (`application/problem+json`, RFC 9457) with the
  screens' messages; `errors` names each field.
* **Versions.** Each resource carries an `ETag`. Updates need it in `If-Match`: a stale one is
  refused with 412, a missing one with 428.
* **Retries.** Send an `Idempotency-Key` with every POST: a retry with the same key gets the
  first answer and never creates twice.
* **Lists** page with `cursor` (pass the `next_cursor` you were given) and `limit`; most take
  `updated_since` (ISO 8601).
* Money is a string with two decimals; dates are ISO 8601.
"""


class ConcordAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        return machinery.with_problem_documents(super().get_openapi_schema(**kwargs))


api = ConcordAPI(
    title="Concord API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=machinery.KeyAuth(),
    docs=Swagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
machinery.install(api)
api.add_router("/", machinery.router)
api.add_router("/", contracts)
api.add_router("/", supervision)
api.add_router("/", funding)
api.add_router("/", risks)
