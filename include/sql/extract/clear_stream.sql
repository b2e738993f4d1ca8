-- A re-run of an extract replaces what this run staged of the stream ({table}).
DELETE FROM {table} AS staged WHERE staged.run_id = current_setting('pco_sync.run_id')
