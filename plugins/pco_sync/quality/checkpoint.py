"""Great Expectations as validate() runs it: an ephemeral context (a task writes no GX files:
suites come from include/gx, results go to the church database), with no usage reports and
no progress bars; per frame a Checkpoint whose validation definition is the frame's batch
definition (a pandas DataFrame: one chunk of its rows) with the frame's suite.

A checkpoint's batch parameters go to every validation definition in it, and each frame's
DataFrame is its own, so there is one checkpoint per frame, run once per chunk.
Results are COMPLETE with the frame's columns beside each failing row: the quarantine needs
every failing record; quality.results keeps a SUMMARY-sized copy.

Great Expectations is imported inside the functions: importing it takes seconds, and the
DAG file must stay quick to parse.
"""
from __future__ import annotations

import logging
import os
from datetime import date, datetime, timezone

from pco_sync.quality import suites
from pco_sync.quality.frames import Frame

SOURCE = "pco_staging"  # the GX data source: the frames are this run's staged rows


def load() -> None:
    """Imports Great Expectations as this module uses it (the Celery workers do it once
    before they fork: pco_sync.airflow.celery_config)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # read when GX is imported
    # GX logs a line per API function it leaves out of its docs, at INFO, when imported.
    logging.getLogger("great_expectations._docs_decorators").setLevel(logging.WARNING)
    import great_expectations  # noqa: F401
    import great_expectations.core.run_identifier  # noqa: F401
    import great_expectations.data_context.types.base  # noqa: F401


def context():
    """An ephemeral GX context."""
    load()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (DataContextConfig,
                                                            InMemoryStoreBackendDefaults,
                                                            ProgressBarsConfig)

    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(),
                               progress_bars=ProgressBarsConfig(globally=False),
                               analytics_enabled=False)
    return gx.get_context(mode="ephemeral", project_config=config)


def run_id(airflow_run_id: str):
    """GX's run identifier for a run: its name is the Airflow run id."""
    from great_expectations.core.run_identifier import RunIdentifier

    return RunIdentifier(run_name=airflow_run_id, run_time=datetime.now(timezone.utc))


def checkpoint(context, frame: Frame):
    """The frame's checkpoint: its suite over its batch definition."""
    import great_expectations as gx

    sources = context.data_sources
    source = (sources.get(SOURCE) if SOURCE in sources.all() else sources.add_pandas(SOURCE))
    batches = source.add_dataframe_asset(frame.name).add_batch_definition_whole_dataframe("chunk")
    definition = context.validation_definitions.add(gx.ValidationDefinition(
        name=frame.name, data=batches, suite=suites.add(context, frame.name)))
    return context.checkpoints.add(gx.Checkpoint(
        name=frame.name, validation_definitions=[definition],
        result_format={"result_format": "COMPLETE",
                       "unexpected_index_column_names": list(frame.columns)}))


def validate(checkpoint, df, run, today: date):
    """The frame's validation result for one chunk (a DataFrame)."""
    result = checkpoint.run(batch_parameters={"dataframe": df},
                            expectation_parameters={"today": today}, run_id=run)
    [validation] = result.run_results.values()
    return validation
