#!/usr/bin/env python3
"""test_demo.py - toolchain/demo.sh as a newcomer runs it (tmux, as test_screen.py).

    test_demo.py BUILD_DIR

--lang zh shows the screen in Chinese and writes the config once; a second run with the
config untouched leaves it byte for byte (the simulator listens on the port it names); a
config the user edited is kept and the demo says so; --lang then changes its language only;
--reset writes the demo's config again.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import harness
from test_screen import Screen

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO = os.path.join(ROOT, "toolchain", "demo.sh")


class Demo(Screen):
    """demo.sh in a private tmux server, its stderr in a file."""

    def __init__(self, build, folder, args, name):
        self.err = os.path.join(folder, "demo.err")
        self.folder = folder
        self.cmd_args = " ".join(args)
        super().__init__(build, "", name)
        self.cmd = "env POSTERM_DEMO_DIR=%s %s %s %s 2>%s" % (folder, DEMO, build, self.cmd_args,
                                                             self.err)
        self.restart()

    def said(self):
        with open(self.err, encoding="utf-8", errors="replace") as f:
            return f.read()


def run(build, folder, args, wait_for, name):
    scr = Demo(build, folder, args, name)
    try:
        scr.wait(wait_for, timeout=30)
        scr.keys("F10")
        time.sleep(1)
        return scr.said()
    finally:
        scr.close()


def main():
    build = sys.argv[1]
    problems = []
    folder = tempfile.mkdtemp(prefix="posterm-demo-")
    config = os.path.join(folder, "posterm.json")
    try:
        run(build, folder, ["--lang", "zh"], "请输入金额", "demo1")
        first = open(config, "rb").read()
        if json.loads(first)["language"] != "zh":
            problems.append("--lang zh did not write language zh")

        said = run(build, folder, [], "请输入金额", "demo2")
        if open(config, "rb").read() != first:
            problems.append("a second run changed the untouched config")
        if "keeping" in said:
            problems.append("an untouched config called edited: %r" % said)

        mine = json.loads(first)
        mine["merchant"]["name"] = "My Shop"
        with open(config, "w") as f:
            json.dump(mine, f)
        said = run(build, folder, ["--lang", "en"], "enter the amount", "demo3")
        kept = json.load(open(config))
        if kept["merchant"]["name"] != "My Shop":
            problems.append("the user's edit was overwritten")
        if kept["language"] != "en":
            problems.append("--lang en did not set the language of the kept config")
        if "keeping your edited" not in said or "merchant" not in said:
            problems.append("the demo did not say it kept the edited config: %r" % said)

        said = run(build, folder, ["--reset"], "enter the amount", "demo4")
        if json.load(open(config))["merchant"]["name"] == "My Shop":
            problems.append("--reset did not write the demo's config")

        bad = subprocess.run([DEMO, build, "--lang", "fr"], capture_output=True, text=True,
                             env=dict(os.environ, POSTERM_DEMO_DIR=folder))
        if bad.returncode != 2 or "en or zh" not in bad.stderr:
            problems.append("--lang fr: %s %r" % (bad.returncode, bad.stderr))
    except AssertionError as e:
        problems.append(str(e))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return harness.verdict(problems)


if __name__ == "__main__":
    sys.exit(main())
