"""GraphiQL that works offline: its scripts come from our own server, not a CDN.

The assets are installed from the npm registry at set-up (`make run` / `make
test`) into `PLANTGATE_UI_ASSETS`; the gateway serves only the files listed here.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

ASSETS = {
    "react.js": "react/umd/react.production.min.js",
    "react-dom.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.js": "graphiql/graphiql.min.js",
    "graphiql.css": "graphiql/graphiql.min.css",
}
PREFIX = "/graphiql-assets/"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Plantgate GraphiQL</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{prefix}graphiql.css">
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
  <div id="graphiql" role="main">Loading GraphiQL...</div>
  <script src="{prefix}react.js"></script>
  <script src="{prefix}react-dom.js"></script>
  <script src="{prefix}graphiql.js"></script>
  <script>
    // The schema is fetched once a real token is in the Headers tab, and again whenever it changes
    // (a new fetcher makes GraphiQL introspect again); until then nothing is asked, so no error shows.
    // Subscriptions go over the same path with graphql-transport-ws; the headers become the
    // connection_init payload, so the token authenticates the socket too.
    const url = new URL({endpoint}, window.location.href);
    const subscriptionUrl = (url.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + url.host + url.pathname;
    const base = GraphiQL.createFetcher({{ url: url.toString(), subscriptionUrl }});
    const placeholder = JSON.stringify({{ Authorization: 'Bearer <admin key or connection token>' }}, null, 2);
    const tokenIn = (text) => {{
      try {{
        const headers = JSON.parse(text || '{{}}');
        const value = String(headers.Authorization || headers.authorization || '');
        return /^Bearer pg_[A-Za-z0-9_-]+$/.test(value.trim()) ? value.trim() : null;
      }} catch (error) {{
        return null;  // half-typed JSON: keep the current schema
      }}
    }};
    const root = ReactDOM.createRoot(document.getElementById('graphiql'));
    let token = null;
    const render = () => root.render(React.createElement(GraphiQL, {{
      fetcher: (params, options) => base(params, options),  // a new identity per token: GraphiQL refetches
      schema: token ? undefined : null,
      onEditHeaders: (text) => {{
        const next = tokenIn(text);
        if (next && next !== token) {{ token = next; render(); }}
      }},
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: false,  // tokens stay out of localStorage on shared PCs
      defaultHeaders: placeholder,
      defaultQuery: {default_query},
    }}));
    render();
  </script>
</body>
</html>
"""

DEFAULT_QUERY = """# Put your admin key or connection token in the Headers tab below.
# With a connection token:
{
  workOrders(first: 5) {
    nodes { number title status asset { name location { name } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def assets_dir(request: Request) -> Path:
    return request.app.state.services.settings.ui_assets_dir


def render_ide(request: Request) -> Response:
    missing = [name for name, rel in ASSETS.items() if not (assets_dir(request) / rel).is_file()]
    if missing:
        return HTMLResponse(
            "<!doctype html><title>GraphiQL unavailable</title><p>GraphiQL's assets are not "
            f"installed in <code>{html.escape(str(assets_dir(request)))}</code>. Run "
            "<code>make setup</code> (or set PLANTGATE_UI_ASSETS).</p>",
            status_code=503,
        )
    page = PAGE.format(
        prefix=PREFIX,
        endpoint=json.dumps(str(request.url.path)),
        default_query=json.dumps(DEFAULT_QUERY),
    )
    return HTMLResponse(page)


async def serve_asset(request: Request) -> Response:
    rel = ASSETS.get(request.path_params["name"])
    if rel is None:
        return PlainTextResponse("not found", status_code=404)
    path = assets_dir(request) / rel
    if not path.is_file():
        return PlainTextResponse("not installed", status_code=404)
    return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})
