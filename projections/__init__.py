"""Read models built from the event log (per-volunteer scores, station backlogs)."""
