"""installed_posterm.py - harness.Posterm for a program a package installed, not BUILD/posterm.

The package tests run the posterm they unpacked or installed into a scratch root, optionally
under a wrapper (strace), with the same JSON-line reader and waits as every e2e test.
"""
import os
import queue
import subprocess
import threading

import harness


class InstalledPosterm(harness.Posterm):
    """posterm --headless from exe; build sizes the waits (harness.slowdown)."""

    def __init__(self, exe, config, build, wrapper=()):
        self.exe = exe
        self.stretch = harness.slowdown(build)
        self.log_path = os.path.join(os.path.dirname(config), "posterm.stderr")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(list(wrapper) + [exe, "--headless", "--config", config],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log)
        self.events = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()
