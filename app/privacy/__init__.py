"""Personal data: what the app holds about a person, who saw it, and how long it is kept."""
