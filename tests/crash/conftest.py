"""The seeded PostgreSQL demo database of the API tests, copied per test here too."""

from tests.api.conftest import postgres_database, seeded_postgres

__all__ = ["postgres_database", "seeded_postgres"]
