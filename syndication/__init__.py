"""syndication: feeds, email digests and partner syndication for news publishers."""

__version__ = "0.1.0"
