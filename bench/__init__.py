"""Benchmarks: measured figures printed beside their bounds (`make bench`)."""
