"""The dashboard as a child process: a real server, started as ``make run`` starts it, on a free loopback port.

Used by the browser tests, the kill-and-restart test and ``bench/load_test.py`` (which is why it lives here
and not under tests/: tests and benchmarks do not import each other).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .. import paths

START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server process on 127.0.0.1 with its own runs directory; ``start`` again after ``kill`` restarts it
    on the same port and runs directory, as a teacher would between lessons."""

    def __init__(self, runs_dir: Path, log_path: Path, extra_env: dict[str, str] | None = None,
                 app_dir: Path = paths.APP_DIR) -> None:
        # app_dir: another checkout of the app (bench/page_open.py times the code before a change beside it)
        self.runs_dir, self.log_path, self.port, self.app_dir = runs_dir, log_path, free_port(), app_dir
        self.env = {**os.environ, paths.ENV_RUNS: str(runs_dir), **(extra_env or {})}
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def launched(self) -> bool:
        """True where the app has ``make run``'s launcher (its preload prints "Ready: ..." in the log); a checkout
        from before the launcher (bench/page_open.py's "before") starts with plain ``streamlit run``."""
        return (self.app_dir / "ui" / "serve.py").is_file()

    def start(self) -> str:
        with open(self.log_path, "a") as log:
            launcher = ["ui.serve", "127.0.0.1", str(self.port)] if self.launched \
                else ["streamlit", "run", "app.py", "--server.address", "127.0.0.1", "--server.port", str(self.port)]
            self.proc = subprocess.Popen(
                [sys.executable, "-m", *launcher, "--server.headless", "true"],
                cwd=self.app_dir, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + START_TIMEOUT_S
        while True:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).read() == b"ok":
                    return self.url
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError(f"streamlit did not start: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.3)

    def kill(self) -> None:
        """SIGKILL: no clean-up code of the server runs, as when the machine loses power."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def peak_rss_mb(self) -> tuple[float, float]:
        """(peak, current) resident memory of the server process in MB, from /proc (VmHWM, VmRSS)."""
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines())
        return tuple(int(fields[key].split()[0]) / 1024 for key in ("VmHWM", "VmRSS"))

