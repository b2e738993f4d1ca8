# pco-sync's Airflow image, built once by docker-compose.yaml (`build:`) and shared by every
# Airflow service: the pinned lock installed at build time, not on every container start.
# The tag's Airflow version must be requirements.txt's apache-airflow pin
# (tests/devkit/test_deploy_files.py checks it).
FROM apache/airflow:3.3.2-python3.11

# The lock as the dev venv has it: Airflow pinned to the image's own version, so pip keeps it;
# its celery extra (the CeleryExecutor, Redis) and the providers are in the lock too.
COPY --chown=airflow:0 requirements.txt /opt/airflow/requirements.txt
RUN pip install --no-cache-dir -r /opt/airflow/requirements.txt

# pco_sync as an installed distribution (--no-deps: the lock has its dependencies): its entry
# point registers the "pco" connection type. The build leftovers go, so the plugins folder
# holds only the package and the plugin entry.
COPY --chown=airflow:0 plugins /opt/airflow/plugins
RUN pip install --no-cache-dir --no-deps /opt/airflow/plugins \
    && rm -rf /opt/airflow/plugins/build /opt/airflow/plugins/*.egg-info

# The DAG, the SQL and the row checks (pco_sync finds include/ under /opt/airflow), the
# settings airflow-init applies, and churches.yaml when the repository has one (the glob
# copies nothing when it is absent; requirements.txt is there so the COPY has a source).
COPY --chown=airflow:0 dags /opt/airflow/dags
COPY --chown=airflow:0 include /opt/airflow/include
COPY --chown=airflow:0 devkit /opt/airflow/devkit
COPY --chown=airflow:0 airflow_settings.yaml requirements.txt churches.yam[l] /opt/airflow/
ENV PYTHONPATH=/opt/airflow
