"""What needs a person: the open items staff review, and their decisions (the SQL functions)."""
