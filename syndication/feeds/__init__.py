"""Feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site, its categories, regions and authors.

``render`` (pure, bytes) → ``catalog`` (which feeds, where) → ``publish`` (atomic writes of
changed files, WebSub) → ``serving`` (public/ with ETag/304/gzip).
"""
