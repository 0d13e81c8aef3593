# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The progress of ./crm's long steps.

On a terminal a step is one line redrawn every second with its counter, its
elapsed time and what it is doing now; elsewhere (CI, a log) a line when it
starts, one when what it does changes, and one when it ends, so that nothing
is silent for minutes and nothing floods a log.
"""
import shutil
import sys
import threading
import time


class Steps:
    "Numbered steps of one command: [2/5] activating the modules ... 41s"

    def __init__(self, total, stream=None, every=15):
        self.total = total
        self.number = 0
        self.stream = stream or sys.stdout
        self.every = every

    def step(self, title):
        self.number += 1
        return Step(f"[{self.number}/{self.total}] {title}", self.stream,
            every=self.every)


class Step:
    "One long step; a context manager, told what it does with detail()"

    def __init__(self, title, stream=None, every=0):
        self.title = title
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        # Elsewhere than on a terminal, at most a detail line in so long
        self.every = every
        self.detail_text = ''
        self.printed = None
        self.started = None
        self._stop = threading.Event()
        self._thread = None
        self._lock = threading.Lock()

    @property
    def elapsed(self):
        return time.monotonic() - self.started

    def __enter__(self):
        self.started = time.monotonic()
        if self.tty:
            self._thread = threading.Thread(target=self._redraw, daemon=True)
            self._thread.start()
        else:
            self._print(f"crm: {self.title}")
        return self

    def detail(self, text):
        "What the step does now"
        with self._lock:
            if text == self.detail_text:
                return
            self.detail_text = text
        now = time.monotonic()
        if not self.tty and (
                self.printed is None or now - self.printed >= self.every):
            self.printed = now
            self._print(f"crm: {self.title}: {text} ({self.elapsed:.0f}s)")

    def say(self, line):
        "Print a line of its own while the step goes on"
        with self._lock:
            self._print(('\r\033[K' if self.tty else '') + line)

    def __exit__(self, exc_type, exc, tb):
        if self._thread:
            self._stop.set()
            self._thread.join()
            self.stream.write('\r\033[K')
        outcome = 'failed' if exc_type else 'done'
        self._print(f"crm: {self.title}: {outcome} in {self.elapsed:.0f}s")

    def _line(self):
        detail = f": {self.detail_text}" if self.detail_text else ''
        return f"crm: {self.title}{detail} ... {self.elapsed:.0f}s"

    def _redraw(self):
        while True:
            width = shutil.get_terminal_size().columns - 1
            with self._lock:
                self.stream.write('\r\033[K' + self._line()[:width])
                self.stream.flush()
            if self._stop.wait(1):
                return

    def _print(self, line):
        self.stream.write(line + '\n')
        self.stream.flush()
