"""The workforce's line of the Getting started checklist (consortium.getting_started)."""

from consortium.getting_started import step
from supervision.access import can_see_individuals
from supervision.models import Post, StaffMember


@step(
    "staff",
    title="Staff and posts",
    order=40,
    url="supervision:staff_list",
    check=can_see_individuals,
)
def _staff(user):
    return [
        (StaffMember.objects.visible_to(user).count(), "staff member", "staff members", 1),
        (Post.objects.visible_to(user).count(), "post", "posts", 1),
    ]
