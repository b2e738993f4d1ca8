"""pco-sync's runtime package: what an Airflow worker imports to sync Planning Center Online
with a church's PostgreSQL database. Rooms by step, in the order data flows: pco (client and
registry), extract, quality, merge, push; summary; airflow (the glue). See docs/architecture.md.
"""
