"""Partner syndication: API keys, IPTC ninjs 3.1 items and a full-content Atom feed per partner."""
