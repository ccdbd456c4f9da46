from django_scopes import scope

from consortium import access

SESSION_KEY = "concord_consortium_id"


class ConsortiumScopeMiddleware:
    """Work out who the person is in which consortium, and fence every query of the request
    to that consortium (django-scopes): a query that forgets the fence raises ScopeError."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            actor = access.load_actor(user, request.session.get(SESSION_KEY))
            setattr(user, access.ACTOR_ATTR, actor)
        else:
            actor = access.ANONYMOUS
        request.actor = actor
        fence = [actor.consortium_id] if actor.consortium_id else []
        with scope(consortium=fence):
            return self.get_response(request)


class NotAllowedPageMiddleware:
    """A page for 405 (opening an action's address, which only takes a form's POST), like the
    404 page, instead of the browser's own empty error. The Allow header is kept."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            from django.template.loader import render_to_string

            response.content = render_to_string("405.html", request=request)
            response["Content-Type"] = "text/html; charset=utf-8"
        return response
