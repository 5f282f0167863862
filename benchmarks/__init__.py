"""Lishu Loop's benchmarks: ``python -m benchmarks`` (``make bench``).

* ``harness``: rows, targets, the run (rounds, medians, ratios) and the table;
* ``suite``: every measurement in run order, baselines first;
* ``baselines``: raw sqlite3, the library in process, the no-op and naive HTTP
  stacks, the library's catch-up read and decode;
* ``product``: the loop's own rows; those whose piece is not built yet raise
  ``NotMeasured`` and document what to measure and against which row;
* ``apps``, ``servers``, ``load``: the HTTP baselines, how servers are run
  (``SERVER_OPTIONS``) and how they are loaded (wrk, or a Python fallback);
* ``loop_http``: the service under load: its database prepared, the chase
  request, answers checked against the store, the open-loop projection lag;
* ``serving``: the loop over HTTP with the projector in a process of its own
  (what ``lishu serve`` runs on SQLite) beside it inline, and its lag;
* ``postgres_http``: the loop over HTTP on PostgreSQL with two API processes and
  a projection worker, beside the naive stack and the no-op ceiling with two
  processes each (``LISHU_TEST_POSTGRES_URL`` names the server; else not measured);
* ``tasks_http``: a duty-task sign-up over HTTP beside the chase, one server and
  one (closed-loop Python) client for both;
* ``pages``: the console's board, incident, statistics and volunteer pages at
  the two log sizes;
* ``catchup``, ``rss``, ``machine``: the rebuild ceiling, peak memory of a child
  process, the machine description;
* ``recorders``, ``verification``: stand-alone comparisons also run from here.
"""
