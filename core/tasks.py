from celery import shared_task


@shared_task(name="core.ping")
def ping() -> str:
    """A no-op task: proves a worker is consuming from the broker."""
    return "pong"
