"""Local fakes of outside services that tests talk to over loopback."""
