"""Feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site, its categories, regions and authors.

``render`` (pure, bytes; RSS and Atom through the core feed writer, :mod:`syndication.feedwriter`)
→ ``catalog`` (which feeds, where) → ``publish`` (atomic writes of changed files, WebSub).
``public/`` is served by the core :mod:`syndication.static`.
"""
