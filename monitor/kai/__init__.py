"""The K-AI view: the timeline (data, status, records, remote layer), the matcher and
rematching."""
