"""Settings per environment, and the data the system ships (catalogue, holiday schedules)."""
