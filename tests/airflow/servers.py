"""Running Airflow's own servers in a test: free ports, waiting for the API server, and
stopping a process group for good."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the Airflow API server exited; see the test's log"
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise AssertionError(f"the Airflow API server did not answer {url} in {timeout} s")


def stop(servers: list[subprocess.Popen], timeout: float = 60) -> None:
    """SIGTERM each server's process group, then SIGKILL what is still there."""
    for proc in servers:
        os.killpg(proc.pid, signal.SIGTERM)
    for proc in servers:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
