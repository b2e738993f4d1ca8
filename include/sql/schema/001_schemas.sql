-- The three schemas: church (the church's own data), sync (the sync's memory),
-- pco_staging (raw PCO records per run, disposable).
CREATE SCHEMA IF NOT EXISTS church;
CREATE SCHEMA IF NOT EXISTS sync;
CREATE SCHEMA IF NOT EXISTS pco_staging;
