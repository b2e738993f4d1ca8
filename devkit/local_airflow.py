"""make airflow: a standalone Airflow (UI, scheduler, DAG processor) on the embedded defaults,
so the 15-minute schedule runs and can be watched at http://localhost:8080.

- church database: AIRFLOW_CONN_CHURCH_DB when set, else the embedded PostgreSQL ('church');
- PCO: AIRFLOW_CONN_PCO_DEFAULT when set, else a PCO simulator started here on
  PCO_SYNC_SIM_PORT (default 8765, the pco_default of airflow_settings.yaml) with the demo's
  church (2,000 people, seed 1). It lives in memory and stops with Airflow; restarted, it
  serves the same church, so links made by earlier runs still hold;
- connections, pools and variables from airflow_settings.yaml (environment variables win).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from devkit import devdb

ROOT = Path(__file__).resolve().parents[1]
SIM_PORT = int(os.environ.get("PCO_SYNC_SIM_PORT", "8765"))
SIM_PEOPLE = os.environ.get("PCO_SYNC_DEMO_PEOPLE", "2000")


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start_simulator(env: dict) -> subprocess.Popen:
    if _port_open(SIM_PORT):
        sys.exit(f"make airflow: port {SIM_PORT} is taken; stop what runs there, set "
                 "PCO_SYNC_SIM_PORT, or point AIRFLOW_CONN_PCO_DEFAULT at your PCO")
    print(f"Starting the PCO simulator on :{SIM_PORT} ({SIM_PEOPLE} people) ...", flush=True)
    proc = subprocess.Popen([sys.executable, "-m", "pco_simulator", "serve", "--port", str(SIM_PORT),
                             "--people", SIM_PEOPLE, "--seed", "1"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while not _port_open(SIM_PORT):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            sys.exit("make airflow: the PCO simulator did not start (see its output above)")
        time.sleep(0.2)
    return proc


def main() -> int:
    env = dict(os.environ)
    env.setdefault("PCO_SYNC_AIRFLOW_HOME", str(ROOT / ".local" / "airflow"))
    # The point of `make airflow` is to watch the 15-minute schedule: start unpaused.
    env.setdefault("AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION", "False")
    if not env.get(devdb.ENV_AIRFLOW_CONN):
        env[devdb.ENV_AIRFLOW_CONN] = devdb.airflow_conn_uri(
            devdb.ensure_database(devdb.embedded_url(), "church"))
    sim = None
    if not env.get("AIRFLOW_CONN_PCO_DEFAULT"):
        sim = start_simulator(env)
        # The simulator's default credentials, as in airflow_settings.yaml.
        env["AIRFLOW_CONN_PCO_DEFAULT"] = json.dumps({
            "conn_type": "pco", "host": f"http://127.0.0.1:{SIM_PORT}",
            "login": "pco_app_id", "password": "pco_secret"})
    airflow = str(ROOT / "bin" / "airflow")
    try:
        subprocess.run([airflow, "version"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "-m", "devkit.airflow_settings", "apply"],
                       env={**env, "AIRFLOW_HOME": env["PCO_SYNC_AIRFLOW_HOME"]}, check=True)
        print("Airflow standalone: UI on http://localhost:8080 (user admin; password in "
              f"{env['PCO_SYNC_AIRFLOW_HOME']}/simple_auth_manager_passwords.json.generated). "
              "Ctrl-C stops it.", flush=True)
        standalone = subprocess.Popen([airflow, "standalone"], env=env)
        # `kill` of this process stops Airflow's components too, not just this launcher.
        signal.signal(signal.SIGTERM, lambda *_: standalone.send_signal(signal.SIGTERM))
        try:
            return standalone.wait()
        except KeyboardInterrupt:
            standalone.send_signal(signal.SIGINT)
            return standalone.wait()
    finally:
        if sim is not None:
            sim.terminate()
            sim.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
