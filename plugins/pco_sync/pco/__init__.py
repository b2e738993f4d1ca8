"""The PCO side: the HTTP client and the registry of what is read from PCO, and how."""
