"""Core: the one writer of every RSS 2.0 and Atom 1.0 document the project publishes.

``formats`` (feed formats, namespaces, ``tag:`` ids) · ``links`` (where the site's feeds are and how
pages point to them) · ``writer`` (:class:`~syndication.feedwriter.writer.FeedWriter`: feedgen builds,
its known bugs are corrected here, each feed says what it is through hooks) · ``fields`` (the values
the hooks return: head, entry, person, category, enclosure) · ``fragments``
(entries rendered once per build and spliced into every feed that shows them).

The site's feeds, the editions archive and the partner feed all write through it; none of them
knows the others.
"""
