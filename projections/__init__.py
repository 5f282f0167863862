"""Read models built from the incident log: backlogs, cases and statistics,
volunteer scores. They read events only and never issue commands."""

from projections.compose import Projections, build

__all__ = ["Projections", "build"]
