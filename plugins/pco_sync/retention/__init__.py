"""Keeping the church database's size flat over years of runs (include/sql/retention/)."""
