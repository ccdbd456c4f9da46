"""The workforce's pages in the navigation: each entry's check is the one its view uses."""

from consortium.access import member_of_consortium
from consortium.navigation import register
from supervision.access import can_see_individuals, can_see_posts

WORKFORCE = {"section": "Workforce", "order": 40}

register("Posts", "supervision:post_list", check=can_see_posts, **WORKFORCE)
register("Staff", "supervision:staff_list", check=can_see_individuals, **WORKFORCE)
register("Supervision", "supervision:session_list", check=can_see_individuals, **WORKFORCE)
register("Compliance", "supervision:compliance", check=member_of_consortium, **WORKFORCE)
