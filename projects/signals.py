"""Domain signals of projects, for the layers above it (which projects never imports).

``project_accepted`` is sent by projects.services.project_transition inside the acceptance's transaction, after
the status change: arguments ``project`` (the accepted project, locked), ``actor`` and ``on_date`` (the day of
acceptance). Receivers write in that same transaction; an exception in one rolls the acceptance back.
"""
from django.dispatch import Signal

project_accepted = Signal()
