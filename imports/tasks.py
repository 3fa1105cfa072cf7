"""The jobs of large imports: each takes the import's id, re-fetches it and calls one service; both are idempotent
(a checked or committed import is left as it is) and safe to retry."""
from celery import shared_task

from . import services


@shared_task(name="imports.check", acks_late=True)
def check_import(batch_id: int) -> None:
    services.run_check(batch_id)


@shared_task(name="imports.commit", acks_late=True)
def commit_import(batch_id: int) -> None:
    services.run_commit(batch_id)


@shared_task(name="imports.sweep")
def sweep_imports() -> int:
    return services.import_sweep()
