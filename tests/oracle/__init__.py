"""An independent oracle for the read models: a naive fold over the stored events
(``fold``; duty tasks and notices in ``duty_fold``, units and accounts in
``org_fold``, training in ``training_fold``), what each read should answer from
it (``reads``, ``duty_reads``, ``org_reads``, ``training_reads``), every read
asked of both (``compare``; the volunteers' inboxes in ``inbox``; the units,
accounts and training in ``org_reads`` and ``training_reads``), and random
workloads through the real services (``workload``, ``duty_workload``,
``org_workload``, ``training_workload``, ``run``). It shares no code with
``projections/``; ``python -m tests.oracle`` runs a long soak."""
