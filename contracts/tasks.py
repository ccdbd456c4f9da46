"""Background work for contracts, on Django's task framework (see consortium.tasks). A task
takes only ids and reads everything else afresh."""

from django_tasks import task

from contracts.services import assurance as pack_svc


@task()
def finish_sign_off(pack_id: int):
    """Freeze a signed-off assurance pack's figures with their digest and write its PDF
    (contracts.services.assurance.pack_finish_sign_off)."""
    return pack_svc.pack_finish_sign_off(pack_id=pack_id)
