"""Quality: row checks (Great Expectations) that quarantine bad records, and batch gates."""
