"""A state file that keeps a simulator's data across restarts (`serve --state FILE`).

At start the store is loaded from the file when it exists. While serving, a background
thread saves the store a short quiet period after a write (debounced, so a burst of writes
costs one save) and on shutdown. Every save goes to a temporary file first and is renamed
over the old one, so a crash mid-save leaves the previous state intact, and a `kill -9`
loses at most the writes of the last few seconds. The OAuth grants and token digests are
kept too (`oauth`), so a restart does not disconnect a church.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from .store import Store

SAVE_DELAY = 2.0  # seconds without writes before a save
MAX_DELAY_FACTOR = 5  # a steady stream of writes is still saved every 5 delays
POLL = 0.25  # how often the saver looks for changes (seconds)


class StateFile:
    def __init__(self, store: Store, path: str | os.PathLike, delay: float = SAVE_DELAY,
                 oauth=None):
        self.store, self.path, self.delay = store, Path(path), delay
        self.oauth = oauth  # the simulator's OAuthState, saved beside the data
        self.saved_mark = None  # the store's mark at the last save or load
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def exists(self) -> bool:
        return self.path.is_file()

    def _mark(self) -> tuple:
        """Changes to the store: every insert, update, delete, load and reset bumps a version
        (listeners would miss bulk loads and unemitted updates); the clock moves apart."""
        with self.store.lock:
            return (tuple(sorted(self.store.versions.items())), self.store.clock_offset,
                    self.oauth.version if self.oauth is not None else 0)

    def load(self) -> None:
        data = json.loads(self.path.read_text(encoding="utf-8"))
        with self.store.lock:
            self.store.load_dump(data)
            self.store.clock_offset = timedelta(seconds=data.get("clock_offset_seconds", 0))
            if self.oauth is not None:
                self.oauth.load(data.get("oauth"))
            self.saved_mark = self._mark()

    def save(self) -> None:
        # Serialised under the lock: a record changing mid-dump would break json.dumps.
        with self.store.lock:
            mark = self._mark()
            extra = {"oauth": self.oauth.dump()} if self.oauth is not None else {}
            raw = json.dumps({**self.store.dump(),
                              "clock_offset_seconds": self.store.clock_offset.total_seconds(),
                              **extra})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        self.saved_mark = mark

    def dirty(self) -> bool:
        return self._mark() != self.saved_mark

    # ---- the saver thread -----------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="pco-state-saver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the saver and save what it has not saved yet (a clean shutdown loses nothing)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self.dirty():
            self.save()

    def _run(self) -> None:
        seen, last_change, first_unsaved = self._mark(), time.monotonic(), None
        while not self._stop.wait(POLL):
            now, mark = time.monotonic(), self._mark()
            if mark != seen:
                seen, last_change = mark, now
            if mark == self.saved_mark:
                first_unsaved = None
                continue
            first_unsaved = first_unsaved or now
            if now - last_change >= self.delay or \
                    now - first_unsaved >= self.delay * MAX_DELAY_FACTOR:
                try:
                    self.save()
                except OSError as err:  # a full disk must not stop the simulator serving
                    print(f"pco_simulator: could not save {self.path}: {err}", file=sys.stderr,
                          flush=True)
                    last_change = first_unsaved = now  # try again later, not every poll
