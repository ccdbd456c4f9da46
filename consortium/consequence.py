"""What is at stake in something that waits for somebody, most serious first: the dashboard
orders its panels by it and the daily reminder email its groups."""

from enum import IntEnum


class Consequence(IntEnum):
    """What is at stake, most serious first. The same order ranks the email digest."""

    MONEY_LATE = 1
    NOT_SAFE = 2
    ENDING = 3
    WAITING = 4
    HOUSEKEEPING = 5
    INFORMATION = 6

    @property
    def label(self):
        return CONSEQUENCE_LABELS[self]


CONSEQUENCE_LABELS = {
    Consequence.MONEY_LATE: "Money owed late",
    Consequence.NOT_SAFE: "Not safe to deploy",
    Consequence.ENDING: "Ending without a decision",
    Consequence.WAITING: "Waiting for you",
    Consequence.HOUSEKEEPING: "Housekeeping",
    Consequence.INFORMATION: "For information",
}
