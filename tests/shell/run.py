#!/usr/bin/env python3
"""tests/shell/run.py - dot shell driven through a pseudo-terminal, in TAP.

    tests/shell/run.py <path-to-dot> <path-to-dotd> <source-root>

Makes a temporary DOT_DIR (fast key derivation, DOT_KDF_FAST=1), runs
'dot init', starts dotd on it and drives 'dot shell --as admin@active --key
admin' through a pty: the prompt, the DOS and Unix commands (checked
afterwards with plain 'dot fs'), HELP, errors that leave the shell running,
tab completion of a command and of a remote file name, Ctrl-C, history
across two sessions, Ctrl-D; then the shell without a terminal (commands on
a pipe). Every wait is bounded: reading stops at the expected text or fails
the test at its deadline.
"""
import fcntl
import json
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

WAIT = 30.0  # seconds for any one expected answer

if len(sys.argv) < 3:
    print("usage: run.py <path-to-dot> <path-to-dotd> <source-root>",
          file=sys.stderr)
    sys.exit(2)
DOT = os.path.abspath(sys.argv[1])
DOTD = os.path.abspath(sys.argv[2])

results = []
failed = 0
count = 0


def ok(cond, desc, diag=None):
    global failed, count
    count += 1
    n = count
    if cond:
        results.append("ok %d - %s" % (n, desc))
    else:
        failed += 1
        results.append("not ok %d - %s" % (n, desc))
        if diag:
            for line in str(diag)[-1500:].splitlines():
                results.append("# " + line)
    return cond


def finish():
    print("1..%d" % count)
    print("\n".join(results))
    sys.exit(1 if failed else 0)


TMP = tempfile.mkdtemp(prefix="dot-shell-test.")
ENV = dict(os.environ)
for k in ("DOT_ADDR", "DOT_AGENT_SOCK"):
    ENV.pop(k, None)
ENV.update(DOT_DIR=os.path.join(TMP, "dotdir"), DOT_KDF_FAST="1",
           DOT_PASSPHRASE="correct-horse", DOT_TIMEOUT="30", TERM="xterm",
           HOME=TMP)
dotd = None


def cleanup():
    if dotd is not None and dotd.poll() is None:
        dotd.terminate()
        try:
            dotd.wait(timeout=10)
        except subprocess.TimeoutExpired:
            dotd.kill()
            dotd.wait()
    shutil.rmtree(TMP, ignore_errors=True)


def dot(*args, stdin=None):
    return subprocess.run([DOT] + list(args), env=ENV, cwd=TMP,
                          input=stdin, capture_output=True, timeout=120)


ADMIN = ["--as", "admin@active", "--key", "admin"]
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\r|\x07")


class Pty:
    """One 'dot shell' on a pseudo-terminal."""

    def __init__(self, args, env=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(TMP)
            os.execve(DOT, [DOT, "shell"] + args, env or ENV)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ,
                    struct.pack("HHHH", 50, 200, 0, 0))
        self.raw = b""
        self.mark = 0
        self.status = None

    def text(self):
        return ANSI.sub(b"", self.raw[self.mark:]).decode("utf-8", "replace")

    def read_until(self, pattern, timeout=WAIT):
        """Read until pattern (a regex) matches the text since the mark;
        returns that text (and moves the mark past it), or None."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            t = self.text()
            if rx.search(t):
                self.mark = len(self.raw)
                return t
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], min(left, 0.5))
            if r:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    data = b""
                if not data:  # the shell has gone
                    t = self.text()
                    self.mark = len(self.raw)
                    return t if rx.search(t) else None
                self.raw += data

    def wait_editing(self, timeout=WAIT):
        """Wait until the line editor has the terminal (ICANON off): keys
        sent before that would meet the kernel's cooked mode (its echo,
        its EOF and its SIGINT before the shell reads)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not termios.tcgetattr(self.fd)[3] & termios.ICANON:
                return True
            time.sleep(0.01)
        return False

    def send(self, s, editing=True):
        if editing:
            self.wait_editing()
        os.write(self.fd, s.encode() if isinstance(s, str) else s)

    def cmd(self, line, prompt=r"admin@active:[^\n]*> $"):
        """Run a line; the text up to the next prompt, or None."""
        self.send(line + "\n")
        return self.read_until(prompt)

    def wait_exit(self, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read_until(r"$^x", timeout=0.2)  # drain
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid != 0:
                self.status = os.waitstatus_to_exitcode(st)
                return self.status
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        return None

    def close(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        os.close(self.fd)


def main():
    global dotd
    # ---- a node ----
    r = dot("key", "new", "admin")
    ok(r.returncode == 0, "key new admin", r.stderr)
    r = dot("init", "--admin-key", "admin")
    ok(r.returncode == 0, "dot init", r.stderr)
    node = os.path.join(ENV["DOT_DIR"], "node")
    log = open(os.path.join(TMP, "dotd.log"), "wb")
    dotd = subprocess.Popen([DOTD, "--dir", node], env=ENV, stdout=log,
                            stderr=subprocess.STDOUT)
    sock = os.path.join(node, "dotd.sock")
    deadline = time.monotonic() + 20
    while (not os.path.exists(sock) and dotd.poll() is None and
           time.monotonic() < deadline):
        time.sleep(0.05)
    if not ok(os.path.exists(sock), "dotd started and made its socket",
              open(os.path.join(TMP, "dotd.log")).read()):
        finish()
    for args in (["fs", "mkdir", "/home"], ["fs", "mkdir", "/home/admin"]):
        r = dot(*args, *ADMIN)
        ok(r.returncode == 0, " ".join(args), r.stderr)
    r = dot("fs", "put", "/home/admin/notes.txt", "-", *ADMIN,
            stdin=b"hello from the shell test\n")
    ok(r.returncode == 0, "fs put /home/admin/notes.txt", r.stderr)
    r = dot("fs", "put", "/home/admin/report-2026.txt", "-", *ADMIN,
            stdin=b"quarterly numbers\n")
    ok(r.returncode == 0, "fs put /home/admin/report-2026.txt", r.stderr)

    # ---- session 1 ----
    sh = Pty(ADMIN)
    t = sh.read_until(r"admin@active:/> $")
    ok(t is not None, "the prompt shows account@level and the directory /",
       sh.text())
    t = sh.cmd("cd /home/admin", r"admin@active:/home/admin> $")
    ok(t is not None, "cd /home/admin: the prompt shows the new directory",
       sh.text())
    t = sh.cmd("MD docs")
    ok(t is not None and "fs.mkdir /home/admin/docs: ok" in t,
       "MD docs makes /home/admin/docs", t or sh.text())
    t = sh.cmd("mkdir tmp")
    ok(t is not None and "fs.mkdir /home/admin/tmp: ok" in t,
       "mkdir tmp (Unix form)", t or sh.text())
    t = sh.cmd("CD docs", r"admin@active:/home/admin/docs> $")
    ok(t is not None, "CD docs (relative)", sh.text())
    t = sh.cmd("cd ..", r"admin@active:/home/admin> $")
    ok(t is not None, "cd .. goes up", sh.text())
    t = sh.cmd("cd notes.txt", r"admin@active:/home/admin> $")
    ok(t is not None and "not a directory" in t,
       "cd into a file is refused and the directory stays", t or sh.text())
    t = sh.cmd("cd /", r"admin@active:/> $")
    ok(t is not None, "cd /", sh.text())
    t = sh.cmd("cd home/admin/../admin/./", r"admin@active:/home/admin> $")
    ok(t is not None, "cd with . and .. parts", sh.text())
    t = sh.cmd("DIR")
    ok(t is not None and "notes.txt" in t and "docs" in t and
       "report-2026.txt" in t, "DIR lists the directory", t or sh.text())
    t = sh.cmd("TYPE notes.txt")
    ok(t is not None and "hello from the shell test" in t,
       "TYPE prints a file", t or sh.text())
    t = sh.cmd("cat /home/admin/report-2026.txt")
    ok(t is not None and "quarterly numbers" in t,
       "cat with an absolute path", t or sh.text())
    t = sh.cmd("COPY notes.txt docs")
    ok(t is not None and "fs.put /home/admin/docs/notes.txt: ok" in t,
       "COPY into a directory keeps the name", t or sh.text())
    t = sh.cmd("cp notes.txt copy.txt")
    ok(t is not None and "fs.put /home/admin/copy.txt: ok" in t,
       "cp (Unix form)", t or sh.text())
    t = sh.cmd("REN copy.txt renamed.txt")
    ok(t is not None and "/home/admin/renamed.txt: ok" in t,
       "REN renames", t or sh.text())
    t = sh.cmd("mv renamed.txt tmp")
    ok(t is not None and "/home/admin/tmp/renamed.txt: ok" in t,
       "mv into a directory", t or sh.text())
    t = sh.cmd("ls tmp")
    ok(t is not None and "renamed.txt" in t, "ls of a relative directory",
       t or sh.text())
    t = sh.cmd("DEL tmp/renamed.txt")
    ok(t is not None and "fs.rm /home/admin/tmp/renamed.txt: ok" in t,
       "DEL removes a file", t or sh.text())
    t = sh.cmd("rm tmp")
    ok(t is not None and "fs.rm /home/admin/tmp: ok" in t,
       "rm removes the empty directory", t or sh.text())
    t = sh.cmd("pwd")
    ok(t is not None and "\n/home/admin\n" in t.replace("\r", ""),
       "pwd", t or sh.text())

    # HELP
    t = sh.cmd("HELP")
    need = ["DIR", "ls", "TYPE", "cat", "COPY", "cp", "DEL", "rm", "MD",
            "mkdir", "CD", "REN", "mv", "GRANT", "REVOKE", "SEND", "RECV",
            "RUN", "PS", "AUDIT", "HELP", "EXIT"]
    ok(t is not None and all(re.search(r"\b%s\b" % w, t) for w in need) and
       re.search(r"DIR\s+ls\s", t) and re.search(r"TYPE\s+cat\s", t),
       "HELP lists every command, DOS and Unix names side by side",
       t or sh.text())
    t = sh.cmd("help copy")
    ok(t is not None and "COPY, cp" in t, "HELP COMMAND", t or sh.text())
    t = sh.cmd("RUN job")
    ok(t is not None and "arrive with the workload runtime" in t,
       "RUN says workloads arrive later", t or sh.text())

    # errors leave the shell running
    t = sh.cmd("frobnicate now")
    ok(t is not None and "unknown command 'frobnicate'" in t,
       "an unknown command is an error", t or sh.text())
    t = sh.cmd('cat "notes.txt')
    ok(t is not None and "unterminated double quote" in t,
       "an unterminated quote is a precise error", t or sh.text())
    t = sh.cmd("cat 'notes.txt")
    ok(t is not None and "unterminated single quote" in t,
       "an unterminated single quote too", t or sh.text())
    t = sh.cmd("cat no-such-file")
    ok(t is not None and "no such object" in t,
       "a refused command prints the node's error", t or sh.text())
    t = sh.cmd("pwd")
    ok(t is not None and "/home/admin" in t, "the shell keeps going",
       t or sh.text())
    t = sh.cmd('cat "not"es\\.txt')
    ok(t is not None and "hello from the shell test" in t,
       "quotes and backslash escapes join one word", t or sh.text())

    # completion: a command name, then a remote file name
    sh.send("TY\t")
    t = sh.read_until(r"TYPE $")
    ok(t is not None, "TAB completes the command name TY -> TYPE",
       sh.text())
    sh.send("rep\t")
    t = sh.read_until(r"report-2026\.txt $")
    ok(t is not None, "TAB completes a remote file name rep -> "
       "report-2026.txt", sh.text())
    t = sh.cmd("")
    ok(t is not None and "quarterly numbers" in t,
       "the completed line runs", t or sh.text())
    sh.send("cat do\t")
    t = sh.read_until(r"cat docs/$")
    ok(t is not None, "TAB completes a directory with a slash", sh.text())
    sh.send("no\t")
    t = sh.read_until(r"notes\.txt $")
    ok(t is not None, "TAB completes inside a subdirectory", sh.text())
    t = sh.cmd("")
    ok(t is not None and "hello from the shell test" in t,
       "the copy has the content", t or sh.text())

    # Ctrl-C drops the line
    sh.send("garbage-line")
    sh.read_until(r"garbage-line$")
    sh.send(b"\x03")
    t = sh.read_until(r"admin@active:/home/admin> $")
    ok(t is not None, "Ctrl-C gives a fresh prompt", sh.text())
    t = sh.cmd("pwd")
    ok(t is not None and "garbage" not in t and "/home/admin" in t,
       "the cancelled line did not run", t or sh.text())

    t = sh.cmd("stat /home/admin/docs/notes.txt")
    ok(t is not None and "kind:     file" in t, "stat", t or sh.text())
    sh.send(b"\x04")
    st = sh.wait_exit()
    ok(st == 0, "Ctrl-D exits 0 (got %r)" % st)
    sh.close()

    hist = os.path.join(ENV["DOT_DIR"], "shell_history")
    ok(os.path.exists(hist) and (os.stat(hist).st_mode & 0o777) == 0o600,
       "the history is in DOT_DIR/shell_history, mode 0600")

    # ---- session 2: history ----
    sh = Pty(ADMIN)
    t = sh.read_until(r"admin@active:/> $")
    ok(t is not None, "a second session starts", sh.text())
    sh.send(b"\x1b[A")
    t = sh.read_until(r"stat /home/admin/docs/notes\.txt$")
    ok(t is not None, "up-arrow recalls the last line of the first session",
       sh.text())
    t = sh.cmd("")
    ok(t is not None and "path:     /home/admin/docs/notes.txt" in t,
       "the recalled line runs", t or sh.text())
    t = sh.cmd("exit 0", r"$^x")  # no prompt comes back
    st = sh.wait_exit()
    ok(st == 0, "EXIT leaves the shell (got %r)" % st)
    sh.close()

    # ---- session 3: the passphrase is asked once, at the start ----
    env = dict(ENV)
    del env["DOT_PASSPHRASE"]
    sh = Pty(ADMIN, env)
    t = sh.read_until(r"Passphrase for [^\n]*admin\.key: $")
    ok(t is not None, "without DOT_PASSPHRASE the shell asks for it",
       sh.text())
    sh.send("correct-horse\n", editing=False)
    t = sh.read_until(r"admin@active:/> $")
    ok(t is not None, "the key unlocks and the prompt comes", sh.text())
    t = sh.cmd("ls /home/admin")
    t2 = sh.cmd("cat /home/admin/notes.txt")
    ok(t is not None and t2 is not None and "notes.txt" in t and
       "hello from the shell test" in t2 and "Passphrase" not in t + t2,
       "later commands sign without asking again", (t or "") + (t2 or ""))
    sh.send(b"\x04")
    st = sh.wait_exit()
    ok(st == 0, "Ctrl-D exits 0 (got %r)" % st, repr(sh.raw[-300:]))
    sh.close()
    sh = Pty(ADMIN, env)
    t = sh.read_until(r"Passphrase for [^\n]*: $")
    sh.send("wrong-horse\n", editing=False)
    st = sh.wait_exit()
    ok(t is not None and st == 1 and "wrong passphrase" in sh.text() +
       ANSI.sub(b"", sh.raw).decode("utf-8", "replace"),
       "a wrong passphrase ends the shell with 1 (got %r)" % st,
       ANSI.sub(b"", sh.raw).decode("utf-8", "replace"))
    sh.close()

    # ---- plain dot fs sees what the shell did ----
    r = dot("fs", "ls", "/home/admin", *ADMIN, "--json")
    names = []
    if r.returncode == 0:
        names = sorted(e["name"] for e in json.loads(r.stdout)["entries"])
    ok(names == ["docs", "notes.txt", "report-2026.txt"],
       "dot fs ls /home/admin: docs, notes.txt, report-2026.txt (got %s)"
       % names, r.stderr)
    r = dot("fs", "cat", "/home/admin/docs/notes.txt", *ADMIN)
    ok(r.returncode == 0 and r.stdout == b"hello from the shell test\n",
       "dot fs cat of the copy gives the same bytes", r.stderr)

    # ---- without a terminal ----
    r = subprocess.run([DOT, "shell"] + ADMIN, env=ENV, cwd=TMP,
                       input=b"cd /home/admin\nls\ncat notes.txt\n",
                       capture_output=True, timeout=120)
    out = r.stdout.decode()
    ok(r.returncode == 0 and "report-2026.txt" in out and
       "hello from the shell test" in out and "admin@active:" not in out,
       "commands on a pipe run, without a prompt", r.stdout + r.stderr)
    r = subprocess.run([DOT, "shell"] + ADMIN, env=ENV, cwd=TMP,
                       input=b"ls /\ncat /missing\n",
                       capture_output=True, timeout=120)
    ok(r.returncode == 1 and b"no such object" in r.stderr,
       "the exit status is the last command's (1)", r.stdout + r.stderr)
    r = subprocess.run([DOT, "shell"] + ADMIN, env=ENV, cwd=TMP,
                       input=b"frob\nls /\n", capture_output=True,
                       timeout=120)
    ok(r.returncode == 0 and b"unknown command" in r.stderr,
       "an error does not stop a piped session", r.stdout + r.stderr)
    r = subprocess.run(["/bin/sh", "-c", "echo ls | \"$0\" shell "
                        "--as admin@active --key admin", DOT], env=ENV,
                       cwd=TMP, capture_output=True, timeout=120)
    ok(r.returncode == 0 and b"home" in r.stdout,
       "echo ls | dot shell ...", r.stdout + r.stderr)
    r = subprocess.run([DOT, "shell"] + ADMIN, env=ENV, cwd=TMP,
                       input=b"exit 3\nls /\n", capture_output=True,
                       timeout=120)
    ok(r.returncode == 3 and r.stdout == b"", "exit N ends a piped session "
       "with N", r.stdout + r.stderr)
    r = subprocess.run([DOT, "shell", "--as", "admin@active"], env=ENV,
                       cwd=TMP, input=b"", capture_output=True, timeout=120)
    ok(r.returncode == 2 and b"--key" in r.stderr,
       "--as without --key is a usage error", r.stderr)
    finish()


try:
    main()
finally:
    cleanup()
