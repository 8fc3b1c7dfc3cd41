"""The analyst's desk: read-only pages, Atom feeds and a JSON API over the whole
history, served by the daemon when ``WEB_LISTEN`` is set and by ``dartwatch web``.

- :func:`monitor.web.app.create_app` -- the ASGI app over a database and a timeline;
- :mod:`monitor.web.queries` -- everything the pages read (one place);
- :mod:`monitor.web.serve` -- serving it alone or beside the daemon.

Imported lazily: ``dartwatch --help`` loads none of it.
"""
