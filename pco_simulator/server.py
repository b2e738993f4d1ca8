"""Run the simulator over real HTTP, in a thread of this process (tests) or in the
foreground (`python -m pco_simulator serve`)."""
from __future__ import annotations

import socket
import threading
import time

import uvicorn

from .admin import build_admin
from .app import PcoApp, Simulation
from .config import SimConfig
from .webhooks import WebhookDispatcher


class Simulator:
    """A running simulator: `with Simulator(people=200) as sim: requests.get(sim.url...)`."""

    def __init__(self, config: SimConfig | None = None, *, people: int = 0, seed: int = 1,
                 data_file: str | None = None, fault_seed: int = 0):
        self.sim = Simulation(config, fault_seed=fault_seed)
        self.config, self.store = self.sim.config, self.sim.store
        if data_file:
            self.store.load(data_file)
        elif people:
            from .generator import generate
            generate(self.store, people, seed)
        self.app = PcoApp(self.sim, build_admin(self.sim))
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.port: int | None = None
        self.host = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def auth(self) -> tuple[str, str]:
        return self.config.app_id, self.config.secret

    def _bind(self, host: str, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        self.host, self.port = host, sock.getsockname()[1]
        self.sim.base_url = self.url
        return sock

    def _server(self) -> uvicorn.Server:
        cfg = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off",
                             timeout_keep_alive=30)
        return uvicorn.Server(cfg)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> "Simulator":
        sock = self._bind(host, port)
        self.sim.webhooks = WebhookDispatcher(self.store, lambda: self.sim.base_url)
        self.server = self._server()
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       name="pco-simulator", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the PCO simulator did not start")
            time.sleep(0.01)
        return self

    def serve_forever(self, host: str = "127.0.0.1", port: int = 8765) -> None:
        sock = self._bind(host, port)
        self.sim.webhooks = WebhookDispatcher(self.store, lambda: self.sim.base_url)
        self.server = self._server()
        try:
            self.server.run(sockets=[sock])
        finally:
            self.sim.webhooks.stop()

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
        if self.sim.webhooks is not None:
            self.sim.webhooks.stop()

    def __enter__(self) -> "Simulator":
        return self.start() if self.server is None else self

    def __exit__(self, *exc) -> None:
        self.stop()
