"""``mlsearch serve``: the index over HTTP, a JSON API and the browser page.

``app``
    ``make_app(index_dir, token=None, allow_origins=())``: the ASGI application (Starlette)
``static/``
    the browser page served at ``/`` (``index.html``) and ``/static/…``
"""
