"""Merge: this run's staged records into the church schema, set-based SQL in one transaction."""
