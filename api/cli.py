"""The ``lishu`` entry point: the loop's commands plus those of the outer layers.

It lives in ``api/`` (the outermost layer) so that ``loop/`` never imports
projections or the HTTP service; each layer registers its own commands here.
"""

from __future__ import annotations

from api.commands import register as register_service
from loop.bootstrap import build_loop
from loop.cli import app, set_read_model_check
from loop.settings import Settings
from projections.cli import read_model_check
from projections.cli import register as register_projections


def _settings(database_url: str | None) -> Settings:
    return Settings(database_url=database_url) if database_url else Settings()


register_projections(app, _settings, lambda settings: build_loop(settings).app)
register_service(app)
set_read_model_check(read_model_check(lambda settings: build_loop(settings).app))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
