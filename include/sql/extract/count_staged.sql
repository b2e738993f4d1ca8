-- Records this run staged of one stream ({table}).
SELECT count(*) FROM {table} AS staged WHERE staged.run_id = current_setting('pco_sync.run_id')
