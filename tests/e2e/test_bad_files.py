#!/usr/bin/env python3
"""test_bad_files.py - posterm given key files or a journal it must not or cannot use.

    test_bad_files.py BUILD_DIR KIND

KIND:
  key_missing      a private key file that does not exist
  key_open         a private key readable by others (0644)
  key_group        an APIv3 key readable by the group (0640)
  key_unreadable   a private key posterm's user may not read
  key_directory    a directory where a key file should be
  journal_readonly a journal posterm's user may only read (file 0444, folder not writable)

Key files: posterm must refuse to start (exit 2) with one line naming the file and saying
why (and, for a file too open, how to fix it), never showing the key. A read-only journal:
posterm starts, says why and which file, refuses payments, and leaves the file as it was.
"Unreadable" and "read-only" need a user without root's power to ignore permissions: when
run as root, posterm (copied into the test's folder) runs as nobody.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

import harness

NOBODY = 65534


def as_posterm_user():
    """The command prefix that runs posterm without root's power over permissions."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]


def own(path, mode):
    """path belongs to posterm's user (nobody when we are root) with mode."""
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)
    os.chmod(path, mode)


def private_copy(ws, config_path):
    """Copies posterm, the key files and the config into the test's folder, owned by posterm's
    user (the shared key set stays untouched); returns (posterm, config, cfg dict)."""
    os.chmod(ws.dir, 0o711)  # posterm's user may pass through, not list or write
    keys = os.path.join(ws.dir, "keys")
    os.mkdir(keys)
    own(keys, 0o700)
    with open(config_path) as f:
        cfg = json.load(f)
    for section, names in (("alipay", ("private_key_file", "alipay_public_key_file")),
                           ("wechat", ("private_key_file", "platform_public_key_file",
                                       "apiv3_key_file"))):
        for name in names:
            src = cfg[section][name]
            dst = os.path.join(keys, section + "_" + os.path.basename(src))
            shutil.copyfile(src, dst)
            own(dst, 0o600)
            cfg[section][name] = dst
    data = os.path.join(ws.dir, "data")
    os.mkdir(data)
    own(data, 0o700)
    cfg["journal"] = os.path.join(data, "journal.db")
    exe = os.path.join(ws.dir, "posterm")
    shutil.copy(os.path.join(ws.build, "posterm"), exe)
    os.chmod(exe, 0o755)
    return exe, cfg


def write(path, cfg):
    with open(path, "w") as f:
        json.dump(cfg, f)
    os.chmod(path, 0o644)


def bad_key(ws, kind):
    exe, cfg = private_copy(ws, ws.config())
    key = cfg["alipay"]["private_key_file"]
    if kind == "key_missing":
        os.unlink(key)
        want = ["No such file"]
    elif kind == "key_open":
        os.chmod(key, 0o644)
        want = ["644", "chmod 600"]
    elif kind == "key_group":
        key = cfg["wechat"]["apiv3_key_file"]
        os.chmod(key, 0o640)
        want = ["640", "chmod 600"]
    elif kind == "key_unreadable":
        os.chown(key, 0, 0) if os.geteuid() == 0 else os.chmod(key, 0)
        want = ["Permission denied"]
    elif kind == "key_directory":
        os.unlink(key)
        os.mkdir(key)
        want = ["not a regular file"]
    config = os.path.join(ws.dir, "bad.json")
    write(config, cfg)
    run = subprocess.run(as_posterm_user() + [exe, "--headless", "--config", config],
                         input=b"quit\n", capture_output=True, timeout=30)
    err = run.stderr.decode(errors="replace").strip()
    print("posterm exited %d: %s" % (run.returncode, err))
    problems = []
    if run.returncode != 2:
        problems.append("expected exit status 2, got %d" % run.returncode)
    if key not in err:
        problems.append("the message does not name %s" % key)
    for w in want:
        if w not in err:
            problems.append("the message does not say %r" % w)
    if "PRIVATE KEY" in err or "MII" in err:
        problems.append("the message shows key material")
    if run.stdout.strip():
        problems.append("posterm took input before refusing: %s" % run.stdout[:200])
    return problems


class PostermAs(harness.Posterm):
    """harness.Posterm, started through a command prefix (another user)."""

    def __init__(self, exe, config, prefix):
        import queue
        import threading
        self.exe = exe
        self.stretch = harness.slowdown(os.path.dirname(exe))
        self.proc = subprocess.Popen(prefix + [exe, "--headless", "--config", config],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.events = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()


def readonly_journal(ws):
    exe, cfg = private_copy(ws, ws.config())
    journal = cfg["journal"]
    folder = os.path.dirname(journal)
    config = os.path.join(ws.dir, "ro.json")
    write(config, cfg)

    # A real journal with one paid payment, made by posterm as its own user...
    pt = PostermAs(exe, config, as_posterm_user())
    order = pt.pay("3.00", harness.wechat_code(0))
    pt.wait_state("PAID", order)
    assert pt.finish() == 0
    # ...then made read-only for that user: the file, and the folder (no -wal can be made).
    for name in os.listdir(folder):
        own(os.path.join(folder, name), 0o444)
    own(folder, 0o555)
    with open(journal, "rb") as f:
        before = hashlib.sha256(f.read()).hexdigest()
    names_before = sorted(os.listdir(folder))

    pt = PostermAs(exe, config, as_posterm_user())
    msg, refusal = pt.refused_for_journal()
    print("read-only journal: %s | %s" % (msg["text"], refusal["text"]))
    problems = []
    if journal not in msg["text"]:
        problems.append("the error does not name the file: %s" % msg["text"])
    if not any(w in msg["text"] for w in ("read-only", "for writing", "Permission denied")):
        problems.append("the error does not say the journal cannot be written: %s" % msg["text"])
    if any(e.get("event") == "payment" for e in pt.seen):
        problems.append("a payment was started on a read-only journal")
    with open(journal, "rb") as f:
        if hashlib.sha256(f.read()).hexdigest() != before:
            problems.append("the journal file was changed")
    if sorted(os.listdir(folder)) != names_before:
        problems.append("files appeared or went in the journal's folder")
    rows = harness.journal_rows(journal)
    if rows.get(order, {}).get("state") != "PAID":
        problems.append("the paid payment is not in the journal any more")
    return problems


def main():
    build, kind = sys.argv[1], sys.argv[2]
    with harness.Workspace(build) as ws:
        try:
            problems = readonly_journal(ws) if kind == "journal_readonly" else bad_key(ws, kind)
        finally:
            os.chmod(ws.dir, 0o700)
            for root, dirs, _ in os.walk(ws.dir):
                for d in dirs:
                    os.chmod(os.path.join(root, d), 0o700)
        return harness.verdict(problems)


if __name__ == "__main__":
    sys.exit(main())
