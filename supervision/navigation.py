"""The workforce's pages in the navigation: each entry's check is the one its view uses."""

from consortium.navigation import register
from supervision.access import (
    can_see_compliance,
    can_see_individuals,
    can_see_posts,
    is_practitioner,
)

WORKFORCE = {"section": "Workforce", "order": 40}

register("Posts", "supervision:post_list", check=can_see_posts, **WORKFORCE)
register("Staff", "supervision:staff_list", check=can_see_individuals, **WORKFORCE)
register("Supervision", "supervision:session_list", check=can_see_individuals, **WORKFORCE)
register("Compliance", "supervision:compliance", check=can_see_compliance, **WORKFORCE)
# A practitioner's own pages.
MINE = {"section": "Your work", "order": 10}
register("My supervision", "supervision:my_supervision", check=is_practitioner, **MINE)
# "My record" leads to the practitioner's own staff record, which marks it current.
register("My record", "supervision:my_record", check=is_practitioner, key="staff_detail", **MINE)
