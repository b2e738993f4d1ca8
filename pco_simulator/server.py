"""Run the simulator over real HTTP, in a thread of this process (tests) or in the
foreground (`python -m pco_simulator serve`)."""
from __future__ import annotations

import signal
import socket
import threading
import time

import uvicorn

from .admin import build_admin
from .app import PcoApp, Simulation
from .config import SimConfig
from .persistence import SAVE_DELAY, StateFile
from .webhooks import WebhookDispatcher


class Simulator:
    """A running simulator: `with Simulator(people=200) as sim: requests.get(sim.url...)`."""

    def __init__(self, config: SimConfig | None = None, *, people: int = 0, seed: int = 1,
                 data_file: str | None = None, fault_seed: int = 0,
                 state_file: str | None = None, save_delay: float = SAVE_DELAY):
        """`state_file`: keep the data there across restarts (loaded instead of `data_file`
        or `people` when it exists; saved after writes and when stopped)."""
        self.sim = Simulation(config, fault_seed=fault_seed)
        self.config, self.store = self.sim.config, self.sim.store
        self.state = StateFile(self.store, state_file, save_delay, oauth=self.sim.oauth) \
            if state_file else None
        self.loaded_state = bool(self.state and self.state.exists())
        if self.loaded_state:
            self.state.load()
        elif data_file:
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
        if self.state is not None:
            self.state.start()
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
        if self.state is not None:
            self.state.start()
        try:
            self.server.run(sockets=[sock])
        finally:
            if self.state is not None and threading.current_thread() is threading.main_thread():
                # A second Ctrl-C or SIGTERM must not cut the final save short.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
            self.sim.webhooks.stop()
            if self.state is not None:
                self.state.stop()

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
        if self.sim.webhooks is not None:
            self.sim.webhooks.stop()
        if self.state is not None:
            self.state.stop()

    def __enter__(self) -> "Simulator":
        return self.start() if self.server is None else self

    def __exit__(self, *exc) -> None:
        self.stop()
