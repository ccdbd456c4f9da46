"""What the risk pages share: a register or a risk its keeper may change."""

from consortium import access
from risks.access import (
    can_keep_register,
    can_see_risks,
)
from risks.models import (
    Risk,
    RiskRegister,
)


def keepable_register(request, pk):
    register = access.get_visible_or_404(
        RiskRegister.objects.select_related("matrix", "organisation"), request.user, pk=pk
    )
    access.require(can_keep_register(request.user, register))
    return register


def risk_for_keeper(request, pk):
    access.require(can_see_risks(request.user))
    risk = access.get_visible_or_404(
        Risk.objects.select_related("register__matrix", "register__organisation"),
        request.user,
        pk=pk,
    )
    access.require(can_keep_register(request.user, risk.register))
    return risk
