"""Event-sourced aggregates of Lishu Loop.

Modules here import only ``eventsourcing.domain`` and the standard library.
"""
