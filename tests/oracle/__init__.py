"""An independent oracle for the read models: a naive fold over the stored events
(``fold``; duty tasks and notices in ``duty_fold``), what each read should answer
from it (``reads``, ``duty_reads``), every read asked of both (``compare``; the
volunteers' inboxes in ``inbox``), and random workloads through the real services
(``workload``, ``duty_workload``, ``run``). It shares no code with
``projections/``; ``python -m tests.oracle`` runs a long soak."""
