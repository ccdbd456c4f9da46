"""Who may see contracts, subcontracts and variations.

They are money. The generic rule reads their `Access` declarations (a commissioner the
contracts it commissions, a CVO manager its own subcontracts), and who may open or keep them
is decided by the funding app's `can_see_money` and `can_manage_money` (funding/access.py).
No rule of their own is needed; PbR outcomes will add theirs in a module beside this one.
"""
