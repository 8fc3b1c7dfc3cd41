"""The K-AI project timeline: what happens when, which companies form which team.

The package's surface is how to get a timeline; the rest lives where a reader looks for
it: :mod:`.model` (the data), :mod:`.queries` (questions about a day), :mod:`.loading`
(files, validation, merging; the file's shape is :mod:`.schema`), :mod:`.views` (the
box and texts people see).
"""

from monitor.kai.timeline.loading import (
    bundled_timeline,
    load_timeline,
    remote_layer,
    timeline_for,
    validate_file,
)
from monitor.kai.timeline.model import Timeline, TimelineError

__all__ = [
    "Timeline",
    "TimelineError",
    "bundled_timeline",
    "load_timeline",
    "remote_layer",
    "timeline_for",
    "validate_file",
]
