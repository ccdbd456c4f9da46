"""The workforce's pages in the navigation: each entry's check is the one its view uses."""

from consortium.access import member_of_consortium, signed_in
from consortium.navigation import register

WORKFORCE = {"section": "Workforce", "order": 40}

register("Posts", "supervision:post_list", check=signed_in, **WORKFORCE)
register("Staff", "supervision:staff_list", check=signed_in, **WORKFORCE)
register("Supervision", "supervision:session_list", check=signed_in, **WORKFORCE)
register("Compliance", "supervision:compliance", check=member_of_consortium, **WORKFORCE)
