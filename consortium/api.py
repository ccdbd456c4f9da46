"""The API's machinery (/api/v1/, for members' case systems), shared by every app's routes.

* **Who asks.** `ApiKeyMiddleware` takes the bearer key, checks it (consortium.tokens), makes
  its person the request's user with their roles in the key's consortium — never more — and
  fences the request to that consortium, exactly as a signed-in page is fenced. Everything
  after that reads through the one access policy (`visible_to`), and every write goes through
  the same services as the screens.
* **What a key may do.** `needs(scope)` on each operation: reads need the "read" scope or the
  write scope of what is read; writes need their scope.
* **Refusals** are problem documents (RFC 9457, `application/problem+json`) carrying the
  screens' plain-English messages, field by field where a message names a field: `problem()`,
  and the handlers that `install()` puts on the API for every refusal a service raises.
* **Versions.** Every resource has an ETag (`etag()`); an update names the version it was
  made from in If-Match (`at_version()`), and a stale one is refused with 412 — the API's
  form of the screens' stale-edit refusal.
* **Retries.** A POST with an Idempotency-Key is answered once: the middleware keeps the
  answer (ApiRequest) in the same transaction as the work, and a retry gets that answer again.
* **Lists** page by an opaque cursor (`page()`), with `updated_since` where rows change.
"""

import base64
import datetime
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Annotated

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.core.signing import BadSignature, Signer
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.utils import timezone
from django_scopes import scope
from ninja import NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaInvalid
from ninja.security import HttpBearer
from pydantic import ConfigDict, Field, PlainSerializer, WithJsonSchema, field_validator

from consortium import access, tokens
from consortium.base import RecordFrozen, StaleEdit
from consortium.models import ApiRequest, ApiToken, Organisation, Site
from consortium.numbers import plural
from consortium.xlsx_guard import UploadInvalid

PREFIX = "/api/v1/"
PROBLEM = "application/problem+json"
# Open to anyone: what the API is, not what it holds.
OPEN_PATHS = (f"{PREFIX}openapi.json", f"{PREFIX}docs")
PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
_CURSOR = Signer(salt="concord.api.cursor")

Scope = ApiToken.Scope


# --- values as a client reads them ----------------------------------------------------------

Money = Annotated[
    Decimal,
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["1250.00"]}),
]
Figure = Annotated[
    Decimal,
    PlainSerializer(lambda v: format(v.normalize(), "f"), return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["42"]}),
]


# A row's id: anything beyond a 64-bit key cannot name a row.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _no_nul(value):
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    if isinstance(value, dict):
        for k, v in value.items():
            _no_nul(k)
            _no_nul(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _no_nul(v)
    return value


class Incoming(Schema):
    """A request body: a field the API does not know is refused, never ignored; text with a
    NUL character (which no database column holds) is refused as the forms refuse it."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _text_without_nul(cls, value):
        return _no_nul(value)


class FieldProblem(Schema):
    field: str | None = Field(None, description="The field (dotted path) the message is about.")
    message: str


class Problem(Schema):
    """A refusal (RFC 9457). `errors` lists each field's message, as the screens show them."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[FieldProblem] = []


class Page(Schema):
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null on the last page."
    )


ERRORS = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    412: Problem,
    413: Problem,
    422: Problem,
    428: Problem,
    429: Problem,
}


def answers(ok: dict) -> dict:
    """An operation's documented answers: `ok` and every refusal."""
    return {**ok, **ERRORS}


# --- refusals -----------------------------------------------------------------------------


def problem(status, title, detail="", *, errors=(), headers=None, kind=None):
    """A problem document (RFC 9457). `errors`: [(field or None, message)]."""
    body = {
        "type": f"https://concord.invalid/problems/{kind}" if kind else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": [{"field": f, "message": m} for f, m in errors],
    }
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_errors(error: ValidationError, prefix="") -> list[tuple[str | None, str]]:
    """A service's refusal, field by field where it names one (a return's rules name their
    indicator: values.<code>)."""
    if hasattr(error, "error_dict"):
        return [
            (f"{prefix}{field}" if field != "__all__" else None, message)
            for field, errs in error.error_dict.items()
            for message in ValidationError(errs).messages
        ]
    out = []
    for part in error.error_list:
        indicator = getattr(part, "indicator", None)
        for message in part.messages:
            out.append((f"values.{indicator}" if indicator else None, message))
    return out


def refused(error: ValidationError):
    errors = _field_errors(error)
    parts = getattr(error, "error_list", None) or []
    if parts and all(getattr(p, "code", None) == "warnings" for p in parts):
        return problem(
            422,
            "Some figures are unusual",
            "Check these figures. If they are right, submit again with confirm_warnings true.",
            errors=errors,
            kind="warnings",
        )
    detail = errors[0][1] if len(errors) == 1 else "Correct these and try again."
    return problem(422, "The request was refused", detail, errors=errors, kind="refused")


def _schema_invalid(request, exc):
    errors = []
    for e in exc.errors:
        where = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "payload")]
        field = ".".join(where) or None
        errors.append((field, _plain(e)))
    return problem(
        422, "The request was not understood", "Correct these and try again.", errors=errors
    )


def _plain(e):
    """Pydantic's message, in the screens' words where they differ."""
    kind = e.get("type", "")
    if kind == "extra_forbidden":
        return "This field is not part of the API: leave it out."
    if kind == "missing":
        return "This field is required."
    return e.get("msg", "This value is not valid.")


def install(api: NinjaAPI) -> None:
    """Answer every refusal on `api` as a problem document with the screens' messages."""

    def on(exc_class, handler):
        api.add_exception_handler(exc_class, lambda request, exc: handler(exc))

    api.add_exception_handler(SchemaInvalid, _schema_invalid)
    on(ValidationError, refused)
    on(UploadInvalid, _upload_invalid)
    on(StaleEdit, lambda exc: stale())
    on(
        RecordFrozen,
        lambda exc: problem(409, "This record is locked", str(exc), kind="locked"),
    )
    on(
        PermissionDenied,
        lambda exc: problem(403, "Not allowed", str(exc) or "Your roles do not allow this."),
    )
    on(Http404, lambda exc: problem(404, "Not found", "There is nothing here you can see."))
    on(
        AuthenticationError,
        lambda exc: problem(401, "An API key is needed", headers={"WWW-Authenticate": "Bearer"}),
    )
    on(HttpError, lambda exc: problem(exc.status_code, str(exc)))
    on(RequestDataTooBig, lambda exc: too_big())
    on(BadCursor, lambda exc: problem(400, "That cursor is not valid", str(exc)))


def _upload_invalid(exc):
    """Rows of a batch refused, each by its place in the batch (lines.<index>)."""
    errors = [
        (f"lines.{p.row}" if p.row is not None else None, p.text[:1].upper() + p.text[1:])
        for p in exc.problems
    ]
    detail = (
        f"Checked {plural(exc.rows_checked, 'line')}: {plural(len(errors), 'problem')} found, "
        "so nothing was saved. Correct them and send the batch again."
    )
    return problem(422, "The request was refused", detail, errors=errors, kind="refused")


def stale():
    return problem(
        412,
        "Somebody changed this since you read it",
        "Read it again, check the change, and send yours with its new ETag in If-Match.",
        kind="stale",
    )


def too_big():
    limit = settings.CONCORD_API_MAX_BODY_BYTES
    return problem(413, "The request is too large", f"Send at most {limit:,} bytes at a time.")


# --- who asks ------------------------------------------------------------------------------


class KeyAuth(HttpBearer):
    """The key checked by ApiKeyMiddleware (this says so in the OpenAPI schema)."""

    def authenticate(self, request, token):
        return getattr(request, "api_token", None)


def _bearer(request) -> str:
    header = request.headers.get("Authorization", "")
    kind, _, value = header.partition(" ")
    return value.strip() if kind.lower() == "bearer" else ""


class ApiKeyMiddleware:
    """For /api/v1/: the key's person, in the key's consortium, fenced to it; the body size
    limit, the rate limit and idempotent POSTs. Put it after the two-factor middleware (a key
    is not a browser session) and before CSP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        if request.path.startswith(OPEN_PATHS):
            return self.get_response(request)
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > settings.CONCORD_API_MAX_BODY_BYTES:
            return too_big()
        raw = _bearer(request)
        token = tokens.authenticate(raw, request) if raw else None
        if token is None:
            return problem(
                401,
                "An API key is needed",
                "Send a current API key as `Authorization: Bearer <key>`. Make one in your "
                "sign-in settings; an expired or revoked key no longer works.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        wait = tokens.rate_limited(token)
        if wait:
            return problem(
                429,
                "Too many requests",
                f"This key has made too many requests. Try again in {wait} seconds.",
                headers={"Retry-After": str(wait)},
            )
        user = token.user
        actor = access.load_actor(user, token.consortium_id)
        if actor.consortium_id != token.consortium_id:
            return problem(401, "An API key is needed", headers={"WWW-Authenticate": "Bearer"})
        setattr(user, access.ACTOR_ATTR, actor)
        request.user, request.actor, request.api_token = user, actor, token
        with scope(consortium=[token.consortium_id]):
            if request.method == "POST" and request.headers.get("Idempotency-Key"):
                return _once(request, token, self.get_response)
            return self.get_response(request)


# --- idempotent POSTs ----------------------------------------------------------------------

REPLAYED = ("Content-Type", "ETag", "Location")
ANSWERS_KEPT = datetime.timedelta(days=1)


def _once(request, token, get_response):
    """Answer a POST with an Idempotency-Key once: the same key and request again get the
    first answer; the same key with a different request is refused."""
    key = request.headers["Idempotency-Key"].strip()
    if not key or len(key) > 200:
        return problem(400, "Idempotency-Key must be 1 to 200 characters")
    fingerprint = hashlib.sha256(
        b"\n".join([request.method.encode(), request.get_full_path().encode(), request.body])
    ).hexdigest()
    kept = ApiRequest.objects.filter(token=token)
    kept.filter(created_at__lt=timezone.now() - ANSWERS_KEPT).delete()
    earlier = kept.filter(key=key).first()
    if earlier is not None:
        return _replay(earlier, fingerprint)
    try:
        with transaction.atomic():
            response = get_response(request)
            if 200 <= response.status_code < 300:
                ApiRequest.objects.create(
                    consortium_id=token.consortium_id,
                    token=token,
                    key=key,
                    fingerprint=fingerprint,
                    status=response.status_code,
                    body=response.content.decode(),
                    headers={h: response[h] for h in REPLAYED if h in response},
                )
    except IntegrityError:
        # The same key, at the same moment, in another request: that one's work stands.
        return problem(
            409,
            "The same request is being handled",
            "Another request with this Idempotency-Key arrived at the same time. Send it again "
            "to get its answer.",
        )
    return response


def _replay(earlier, fingerprint):
    if earlier.fingerprint != fingerprint:
        return problem(
            422,
            "This Idempotency-Key was used for a different request",
            "Use a new key for a new request; send a retry exactly as the first.",
        )
    response = HttpResponse(earlier.body, status=earlier.status)
    for name, value in earlier.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


# --- what a key may do ---------------------------------------------------------------------


def needs(*scopes: str) -> Callable:
    """Let the operation run only for a key holding one of `scopes`; otherwise 403."""

    def decorate(fn):
        @wraps(fn)
        def wrapper(request, *args, **kwargs):
            token = request.api_token
            if not any(tokens.allows(token, s) for s in scopes):
                names = " or ".join(f"“{s}”" for s in scopes)
                return problem(
                    403,
                    "This key may not do this",
                    f"This needs a key with the {names} scope. Make a key with it in your "
                    "sign-in settings.",
                )
            return fn(request, *args, **kwargs)

        return wrapper

    return decorate


# --- versions ------------------------------------------------------------------------------


def etag(obj) -> str:
    return f'"{obj._meta.model_name}-{obj.pk}-v{obj.version}"'


def tagged(response, obj):
    """`response` with `obj`'s ETag."""
    response["ETag"] = etag(obj)
    return response


def if_match(request, obj) -> int:
    """The version the client's update was made from, by its If-Match (which must be the
    current ETag of `obj`): 428 without one, 412 for a stale one (HttpError / StaleEdit)."""
    given = request.headers.get("If-Match", "").strip()
    if not given:
        raise HttpError(428, "Send the resource's ETag in If-Match")
    if given != etag(obj):
        raise StaleEdit(obj)
    return obj.version


def at_version(request, obj):
    """`obj` re-read under its row lock, refused unless If-Match names its current version:
    for a transition whose service takes no version of its own. Call inside a transaction;
    the service's own lock of the same row is then already held."""
    current = type(obj)._base_manager.select_for_update().get(pk=obj.pk)
    if_match(request, current)
    return current


# --- lists ---------------------------------------------------------------------------------


class BadCursor(Exception):
    pass


def page(queryset, *, cursor: str | None, limit: int, updated_since=None) -> tuple[list, str]:
    """One page of `queryset` in id order after `cursor`, and the cursor of the next page
    (None on the last). The cursor is signed, so a client cannot forge a position."""
    if updated_since is not None:
        queryset = queryset.filter(updated_at__gte=updated_since)
    if cursor:
        try:
            after = int(_CURSOR.unsign(base64.urlsafe_b64decode(cursor.encode()).decode()))
        except (BadSignature, ValueError, UnicodeDecodeError) as e:
            raise BadCursor("Use the next_cursor a list gave you, unchanged.") from e
        queryset = queryset.filter(pk__gt=after)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    rows = list(queryset.order_by("pk")[: limit + 1])
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        signed = _CURSOR.sign(str(rows[-1].pk))
        following = base64.urlsafe_b64encode(signed.encode()).decode()
    return rows, following


# --- the consortium's own resources: organisations and sites (read) -------------------------

router = Router(tags=["Organisations and sites"])


def listing(request, queryset, item, *, cursor, limit, updated_since=None) -> dict:
    """A page of what the person may see of `queryset`, each row as `item(row)`."""
    rows, following = page(
        queryset.visible_to(request.user),
        cursor=cursor,
        limit=limit,
        updated_since=updated_since,
    )
    return {"items": [item(r) for r in rows], "next_cursor": following}


def one(request, response, queryset, pk: int):
    """The object `pk` of `queryset` if the person may see it (404 otherwise), with its ETag
    on `response`."""
    obj = access.get_visible_or_404(queryset, request.user, pk=pk)
    response["ETag"] = etag(obj)
    return obj


class OrganisationOut(Schema):
    id: int
    version: int
    name: str
    kind: str
    updated_at: datetime.datetime


class OrganisationPage(Page):
    items: list[OrganisationOut]


class SiteOut(Schema):
    id: int
    version: int
    name: str
    kind: str
    borough: str
    operated_by: int | None = Field(None, alias="operated_by_id")
    updated_at: datetime.datetime


class SitePage(Page):
    items: list[SiteOut]


Cursor = Annotated[str | None, Field(description="The next_cursor of the page before.")]
Limit = Annotated[int, Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)]


@router.get("/organisations", response=answers({200: OrganisationPage}))
@needs(Scope.READ, Scope.RETURNS, Scope.CLAIMS, Scope.SESSIONS)
def organisations(
    request,
    cursor: Cursor = None,
    limit: Limit = PAGE_SIZE,
    updated_since: datetime.datetime = None,
):
    """The consortium's member organisations (reference data every member reads)."""
    return listing(
        request,
        Organisation.objects.distinct(),
        lambda o: o,
        cursor=cursor,
        limit=limit,
        updated_since=updated_since,
    )


@router.get("/organisations/{pk}", response=answers({200: OrganisationOut}))
@needs(Scope.READ, Scope.RETURNS, Scope.CLAIMS, Scope.SESSIONS)
def organisation(request, pk: Id, response: HttpResponse):
    return one(request, response, Organisation.objects.distinct(), pk)


@router.get("/sites", response=answers({200: SitePage}))
@needs(Scope.READ, Scope.SESSIONS)
def sites(
    request,
    cursor: Cursor = None,
    limit: Limit = PAGE_SIZE,
    updated_since: datetime.datetime = None,
):
    """The consortium's sites (custody suites, courts, hubs)."""
    return listing(
        request,
        Site.objects.all(),
        lambda s: s,
        cursor=cursor,
        limit=limit,
        updated_since=updated_since,
    )


@router.get("/sites/{pk}", response=answers({200: SiteOut}))
@needs(Scope.READ, Scope.SESSIONS)
def site(request, pk: Id, response: HttpResponse):
    return one(request, response, Site.objects.all(), pk)


def with_problem_documents(schema: dict) -> dict:
    """The OpenAPI schema with every refusal's body typed as what it is,
    application/problem+json."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                if str(status) >= "400" and "application/json" in content:
                    content[PROBLEM] = content.pop("application/json")
    return schema
