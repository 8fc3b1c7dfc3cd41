"""Running dartwatch: the wiring container, the daemon, leader election, health, the
operator checks and the test alert."""
