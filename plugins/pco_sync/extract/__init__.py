"""Extract: PCO resources into pco_staging, streamed, keyed by (run, PCO id)."""
