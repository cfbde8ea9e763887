#!/usr/bin/env python3
"""How much a second process's fdatasyncs cost keyhold on this machine.

docs/performance.md ("Why the audit costs so much here") uses this to
separate the price of the machine's flushes and wake-ups from keyhold's own
audit work: it runs `keyhold bench` against a server WITHOUT an audit
(`keyhold dev --no-audit` on :47311, key in $DEVKEY_OFF) three ways,
interleaved:

  alone      nothing else runs
  wakeups    another process sleeps 1 ms and writes 5 KB to a file, in a loop
  fsyncs     the same, with an fdatasync after each write (as the audit
             writer does after each batch)

    KH=./keyhold ROUNDS=3 scripts/interference.py            # closed loop, 32 connections
    KH=./keyhold scripts/interference.py open 5300           # open loop at 5,300 req/s

The loop's file goes in a new directory under $TMPDIR_DISK (default: the
current directory); put it on the disk keyhold's audit would use.

Each run prints one JSON line: requests/s, p50/p99 and, for the loops,
how many writes (and fdatasyncs) per second they made.
"""
import json, os, subprocess, sys, tempfile, time

KH = os.environ.get("KH", "./keyhold")
ROUNDS = int(os.environ.get("ROUNDS", "3"))
DUR = os.environ.get("DUR", "8s")
PORT = int(os.environ.get("PORT", "47311"))

LOOP = r"""
import os, sys, time
sync = sys.argv[1] == "1"
path = sys.argv[2]
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
zeros = bytes(1 << 20)
for i in range(128):                      # preallocate, as the audit does
    os.pwrite(fd, zeros, i << 20)
os.fsync(fd)
buf = b"x" * 5000
off, n, start = 0, 0, time.time()
while not os.path.exists(path + ".stop"):
    os.pwrite(fd, buf, off)
    if sync:
        os.fdatasync(fd)
    off = (off + 5000) % (120 << 20)
    n += 1
    time.sleep(0.001)
print(round(n / (time.time() - start)))
os.close(fd)
os.remove(path)
"""

def bench(extra):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="111122223333", AWS_SECRET_ACCESS_KEY="x")
    args = [KH, "bench", "--endpoint", f"http://127.0.0.1:{PORT}", "--region", "us-east-1", "--op", "Encrypt",
            "--size", "1024", "--key", os.environ["DEVKEY_OFF"], "--warmup", "2s", "--duration", DUR, "--json"] + extra
    return json.loads(subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout)

def run(name, sync, extra):
    loop = None
    d = tempfile.mkdtemp(dir=os.environ.get("TMPDIR_DISK", "."))
    path = os.path.join(d, "loop.dat")
    if sync is not None:
        loop = subprocess.Popen([sys.executable, "-c", LOOP, "1" if sync else "0", path], stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
    r = bench(extra)
    rec = {"name": name, "rps": round(r["requests_per_second"]), "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
           "errors": r.get("errors"), "time": time.strftime("%H:%M:%S")}
    if loop:
        open(path + ".stop", "w").close()
        rec["loop_per_s"] = int(loop.communicate()[0])
        os.remove(path + ".stop")
    os.rmdir(d)
    print(json.dumps(rec), flush=True)

extra = ["--concurrency", "32"]
if len(sys.argv) > 1 and sys.argv[1] == "open":
    extra = ["--rate", sys.argv[2], "--concurrency", "64"]
for _ in range(ROUNDS):
    run("alone", None, extra)
    run("wakeups", False, extra)
    run("fsyncs", True, extra)
