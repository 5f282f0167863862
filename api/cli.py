"""The ``lishu`` entry point: the loop's commands plus those of the outer layers.

It lives in ``api/`` (the outermost layer) so that ``loop/`` never imports
projections or the HTTP service; each layer registers its own commands here.
"""

from __future__ import annotations

from api.commands import register as register_service
from api.notify import register as register_notify
from api.workers import register as register_workers
from loop.bootstrap import build_loop
from loop.cli import app, set_read_model_check
from loop.settings import DatabaseUrl, Settings
from projections.cli import read_model_check
from projections.cli import register as register_projections

register_projections(
    app, Settings.for_url, lambda settings: build_loop(settings).app, database_url=DatabaseUrl
)
register_service(app)
register_notify(app)
register_workers(app)
set_read_model_check(read_model_check(lambda settings: build_loop(settings).app))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
