"""Ingestion: the poller, the poll plan, the RSS fast path, the watched companies and
document bodies."""
