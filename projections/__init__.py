"""Read models built from the application's notification log.

They read events only (``recorder.select_notifications`` and the application's
``mapper.to_domain_event``) and never issue commands:

* ``backlog``: open incidents per owning unit (a station's backlog includes its
  communities'), and ownership intervals for the backlog as of any past moment;
* ``cases``: one row per incident, the publicity board, and statistics by unit,
  module, outcome and Asia/Shanghai month;
* ``scores``: each volunteer's earned, redeemed, deducted, balance and score,
  overall and per month; ranks and star levels are computed at query time;
* ``catalogue``: the goods each Happiness Bank holds, with donors, stock, price,
  per-volunteer limit and pieces handed out;
* ``notifications``: what alerts need (each incident's current wait and its
  marks, volunteers' teams and statuses, notices and acknowledgements), and the
  outbox its events fill; the clock, the dispatcher and the inbox reads sit
  beside it (``projections.notifications``).

Use::

    views = projections.build(settings, app)    # nothing runs yet
    views.runner.start()                        # catch up in a thread: polls; on
                                                # PostgreSQL woken by notifications too
    ack = flow.report_new(...)
    views.runner.wait_for(ack.position)         # read your own write
    views.queries.backlog("lishu/chaoyang")     # primitives, ready for the API
    views.close()

``lishu project`` runs the same projector as a process of its own and
``lishu rebuild [name]`` rebuilds beside the live tables (``projections.cli``).
"""

from projections.compose import Projections, build

__all__ = ["Projections", "build"]
