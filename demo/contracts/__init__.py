"""The contracts app's demo: agreements, returns and outcomes first (`seed`), and the assurance
packs last (`seed_last`), once every app's figures are in place."""

from demo.contracts.agreements import seed  # noqa: F401
from demo.contracts.assurance import seed as seed_last  # noqa: F401
