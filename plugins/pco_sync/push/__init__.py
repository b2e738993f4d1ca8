"""Push: local changes to PCO, exactly once, with the fewest requests."""
