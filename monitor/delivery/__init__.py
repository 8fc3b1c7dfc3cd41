"""From a match to a sent message: pipeline, audience and routing, payloads, the
outbox dispatcher, threads and the test alert."""
