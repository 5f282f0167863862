"""The ``lishu`` entry point: the loop's commands plus those of the outer layers.

It lives in ``api/`` (the outermost layer) so that ``loop/`` never imports
projections or the HTTP service; each layer registers its own commands here.
"""

from __future__ import annotations

from loop.cli import app


def main() -> None:
    app()
