"""The API's documents at ``/docs``: Swagger UI from vendored files
(``api/console/static/swagger/``, see ``VENDORED.md``), started by a script of
this site, so the page loads nothing from another site and runs no inline
script. Off in production unless ``LISHU_DOCS`` turns it on."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

ASSETS = "/static/swagger"
PAGE = f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>梨城义警闭环 Lishu Loop · 接口文档 API</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/docs-init.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(PAGE)
