"""From a match to a sent message: the pipeline, audience and routing, payloads, the
outbox dispatcher and reply threads."""
