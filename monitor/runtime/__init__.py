"""Running dartwatch: the wiring container, the daemon, leader election, health and
the operator checks."""
