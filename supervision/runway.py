"""The workforce's section of the funding runway: posts paid for by funding that ends within
the widest expiry horizon, each with the date its funding ends."""

from django.conf import settings
from django.utils.formats import date_format

from consortium import access
from supervision.models import Post
from supervision.selectors import posts_at_risk


def posts_at_risk_section(request, member):
    # The streams behind posts are the lead's business (as on the posts pages).
    if not access.can_see_post_funding(request.user):
        return None
    posts = Post.objects.visible_to(request.user)
    if member is not None:
        posts = posts.filter(organisation=member)
    horizon = max(settings.CONCORD_EXPIRY_HORIZONS)
    return {
        "title": "Posts at risk",
        "headers": ["Post", "Employer", "Status", "Funding ends"],
        "rows": [
            [
                (post.title, post.get_absolute_url()),
                (post.organisation.name, None),
                (post.get_status_display(), None),
                (date_format(end, "j F Y"), None),
            ]
            for post, end in posts_at_risk(posts)
        ],
        "empty": f"No post is paid for by funding that ends within {horizon} days.",
    }
