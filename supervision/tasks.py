"""Supervision's background work (Django's task framework; consortium.tasks says more)."""

from django_tasks import task

from supervision import compliance_store


@task()
def refresh_compliance(consortium_id: int, everything: bool = False):
    """Bring one consortium's stored supervision compliance up to this month (`everything`:
    work every stored month out again). `refresh_compliance --in-background` queues one a
    consortium."""
    if everything:
        compliance_store.refresh_consortium(consortium_id)
    else:
        compliance_store.ensure_current(consortium_id)
