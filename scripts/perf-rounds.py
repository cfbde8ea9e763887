#!/usr/bin/env python3
"""Side-by-side rounds for docs/performance.md (issues 8 and 9).

Setup (see docs/performance.md, "How to reproduce"): a keyhold binary at
$KH (default ./keyhold), and on loopback the empty server on :47103,
`keyhold serve --data /tmp/ms` on :47301/:47302, `keyhold dev --no-audit`
on :47311 and `keyhold dev` on :47321; keys in $KEY (symmetric), $RSAKEY
(RSA_2048 SIGN_VERIFY), $ECCKEY (ECC_NIST_P256 SIGN_VERIFY) on serve and
$DEVKEY_OFF, $DEVKEY_ON on the two dev servers (and, optionally, an RSA_2048
signing key $RSAOFF on the no-audit one). Run from the repository
root:

    scripts/perf-rounds.py closed        # ROUNDS (3) rounds, DUR (10s) each run
    scripts/perf-rounds.py open RATE     # open loop at RATE, serve vs empty

Each run prints one JSON line (also appended to /tmp/measure.jsonl) with
requests/s, p50/p99 and the server's CPU seconds over the measured time.
"""
import json, os, subprocess, sys, time, statistics
KH = os.environ.get("KH", "./keyhold")
ROUNDS = int(os.environ.get("ROUNDS", "3"))
DUR = os.environ.get("DUR", "10s")
out = open("/tmp/measure.jsonl", "a")
def pid_of(port):
    s = subprocess.run(["ss", "-ltnp", f"sport = :{port}"], capture_output=True, text=True).stdout
    import re
    m = re.search(r"pid=(\d+)", s)
    return int(m.group(1))
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().split(")")[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
def bench(name, port, op, extra=(), env_creds="serve"):
    env = dict(os.environ)
    args = [KH, "bench", "--endpoint", f"http://127.0.0.1:{port}", "--region", "us-east-1", "--op", op,
            "--concurrency", "32", "--warmup", "2s", "--duration", DUR, "--json"] + list(extra)
    if env_creds == "serve":
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/tmp/ms/credentials"; args += ["--profile", "keyhold"]
    else:
        env["AWS_ACCESS_KEY_ID"] = "111122223333"; env["AWS_SECRET_ACCESS_KEY"] = "x"
    pid = pid_of(port)
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    time.sleep(2.0)
    c0 = cpu(pid); t0 = time.time()
    o, _ = p.communicate()
    c1 = cpu(pid); t1 = time.time()
    d = json.loads(o)
    r = {"name": name, "op": op, "rps": d["requests_per_second"], "p50": d["p50_ms"], "p99": d["p99_ms"],
         "errors": d.get("errors"), "server_cpu_s": round(c1 - c0, 3), "wall": round(t1 - t0, 2), "time": time.strftime("%H:%M:%S"),
         "load": os.getloadavg()[0]}
    if "send_lag_p99_ms" in d: r["send_lag_p99"] = d["send_lag_p99_ms"]
    print(json.dumps(r), flush=True); out.write(json.dumps(r) + "\n"); out.flush()
    return r
mode = sys.argv[1]
if mode == "closed":
    for rnd in range(ROUNDS):
        bench("empty", 47103, "Encrypt", ["--size", "1024", "--key", "k"], "dev")
        bench("serve", 47301, "Encrypt", ["--size", "1024", "--key", os.environ["KEY"]])
        bench("serve", 47301, "Decrypt", ["--size", "1024", "--key", os.environ["KEY"]])
        bench("serve", 47301, "GenerateDataKey", ["--key", os.environ["KEY"]])
        bench("serve", 47301, "Sign", ["--size", "256", "--key", os.environ["RSAKEY"]])
        bench("serve", 47301, "Sign", ["--size", "256", "--key", os.environ["ECCKEY"], "--signing-algorithm", "ECDSA_SHA_256"]) 
        bench("serve", 47301, "CreateKey", [])
        bench("dev-noaudit", 47311, "Encrypt", ["--size", "1024", "--key", os.environ["DEVKEY_OFF"]], "dev")
        bench("dev-audit", 47321, "Encrypt", ["--size", "1024", "--key", os.environ["DEVKEY_ON"]], "dev")
        if os.environ.get("RSAOFF"):  # RSA_2048 signing key on the no-audit server: target 4 without the audit
            bench("dev-noaudit", 47311, "Sign", ["--size", "256", "--key", os.environ["RSAOFF"]], "dev")
        r = subprocess.run(["go", "test", "-run", "^$", "-bench", "StdlibRSAPSSSignParallel|SignParallel/RSA", "-cpu", "2", "-benchtime", "5s", "./internal/hsm/soft/"],
                           capture_output=True, text=True).stdout
        for line in r.splitlines():
            if line.startswith("Benchmark"):
                f = line.split(); rec = {"name": "gobench", "bench": f[0], "ns_op": float(f[2]), "ops_per_s": 1e9 / float(f[2]), "time": time.strftime("%H:%M:%S")}
                print(json.dumps(rec), flush=True); out.write(json.dumps(rec) + "\n"); out.flush()
elif mode == "open":
    rate = sys.argv[2]
    for rnd in range(ROUNDS):
        bench("serve-open", 47301, "Encrypt", ["--size", "1024", "--key", os.environ["KEY"], "--rate", rate, "--concurrency", "64"])
        bench("empty-open", 47103, "Encrypt", ["--size", "1024", "--key", "k", "--rate", rate, "--concurrency", "64"], "dev")
