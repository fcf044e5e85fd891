"""Send events from every backend: stored once each, applied to subscribers, summed into reports."""
