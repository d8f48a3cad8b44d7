#!/usr/bin/env python3
"""Instructions per request of sockrun servers, counted by valgrind.

    python3 bench/py/instructions.py [-w echo,udp,bulk,http,resp] [-r 3] NAME=BINARY ...

Each workload's server script runs under `valgrind --tool=callgrind` on each
binary in turn (runs alternated, -r times), a fixed number of requests
after a warm-up; the count is the server's instructions (callgrind's Ir)
between two dumps taken around the measured requests, divided by them. A
count of instructions is the same on a busy machine as on an idle one,
where wall-clock and CPU time are not: use it to compare two builds (with
and without default.pgo, say) on this shared machine. Every run is printed,
then the median of each binary per workload and its ratio to the first.

The load is the simplest real client of each protocol, one connection in a
closed loop (valgrind runs the server about 50 times slower, so it is
always the bottleneck): a 64-byte TCP echo, a 64-byte UDP echo, 64 KiB
bulk chunks (per MB), HTTP GET / with keep-alive, RESP SET and GET, and
the CPU-heavy handler of the --workers rows (cpu: 10,000 Lua loop
iterations, then the echo).
GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off: callgrind stops on the runtime's
preemption signals, and valgrind 3.19 does not know RDTSCP.

The warm-up lasts until the server's first garbage collection has run
(gctrace=1's "gc 1" line): sockrun raises its collector's floor after the
first collection, which comes sooner or later with what a build allocates
at start, and a first collection inside the measured requests added about
8,000 instructions to each HTTP request of one build and none to the other.
"""

import argparse
import glob
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPTS = {
    "echo": "scripts/threaded_echo_server.lua",
    "udp": "scripts/udp_echo_server.lua",
    "bulk": "scripts/threaded_echo_server.lua",
    "http": "scripts/http_server.lua",
    "http-module": "scripts/http_module_server.lua",
    "resp": "scripts/resp_server.lua",
    "cpu": "bench/lua/cpu_server.lua",
}

# Requests measured, after WARMUP of them (bulk: 64 KiB chunks).
COUNTS = {"echo": 3000, "udp": 3000, "bulk": 2000, "http": 1500, "http-module": 1500, "resp": 1500, "cpu": 200}
WARMUP = {"cpu": 20}  # 200 for the others
CHUNK = 64 << 10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recv_exact(c, n):
    buf = bytearray()
    while len(buf) < n:
        b = c.recv(n - len(buf))
        if not b:
            raise RuntimeError("server closed the connection")
        buf += b
    return bytes(buf)


def tcp_client(port, workload):
    """Returns do(n): n requests of the workload over one connection."""
    c = socket.create_connection(("127.0.0.1", port), timeout=120)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if workload in ("echo", "cpu"):
        req = bytes(range(64))

        def do(n):
            for _ in range(n):
                c.sendall(req)
                if recv_exact(c, len(req)) != req:
                    raise RuntimeError("echo differs")
    elif workload == "bulk":
        chunk = bytes(i % 251 for i in range(CHUNK))

        def do(n):
            for _ in range(n):
                c.sendall(chunk)
                if recv_exact(c, CHUNK) != chunk:
                    raise RuntimeError("bulk echo differs")
    elif workload in ("http", "http-module"):
        req = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
        f = c.makefile("rb")

        def do(n):
            for _ in range(n):
                c.sendall(req)
                status = f.readline()
                if not status.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError("http: %r" % status)
                length = 0
                while True:
                    line = f.readline()
                    if line in (b"\r\n", b""):
                        break
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v)
                f.read(length)
    elif workload == "resp":
        f = c.makefile("rb")

        def do(n):
            for i in range(n):
                key = b"key:%d" % (i % 100)
                if i % 2 == 0:
                    c.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$3\r\nxxx\r\n" % (len(key), key))
                    if f.readline() != b"+OK\r\n":
                        raise RuntimeError("resp SET")
                else:
                    c.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key))
                    head = f.readline()
                    if head.startswith(b"$") and head != b"$-1\r\n":
                        f.read(int(head[1:]) + 2)
    return do, c


def udp_client(port):
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.settimeout(120)
    c.connect(("127.0.0.1", port))
    req = bytes(range(64))

    def do(n):
        for _ in range(n):
            c.send(req)
            if c.recv(2048) != req:
                raise RuntimeError("udp echo differs")
    return do, c


def total_ir(path):
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError("no totals in " + path)


def dump(pid, outdir, before):
    """Asks callgrind for a dump and waits for its file: the Ir since the
    last dump (callgrind zeroes its counters at each)."""
    subprocess.run(["callgrind_control", "-d", str(pid)], check=True, capture_output=True, timeout=120)
    deadline = time.time() + 120
    while time.time() < deadline:
        files = set(glob.glob(os.path.join(outdir, "cg.%d.*" % pid))) - before
        for p in files:
            try:
                return total_ir(p), before | {p}
            except (RuntimeError, OSError):
                pass
        time.sleep(0.1)
    raise RuntimeError("callgrind wrote no dump")


def measure(binary, workload, outdir):
    port = free_port()
    env = dict(os.environ, GODEBUG="asyncpreemptoff=1,cpu.rdtscp=off,gctrace=1")
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + os.path.join(outdir, "cg.%p"),
            binary, "--var", "host=127.0.0.1", "--var", "port=%d" % port, os.path.join(ROOT, SCRIPTS[workload])]
    srv = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    collected = threading.Event()

    def read_stderr():
        for line in srv.stderr:
            if line.startswith("gc 1 @"):
                collected.set()
    threading.Thread(target=read_stderr, daemon=True).start()
    try:
        line = srv.stdout.readline()
        if "listening" not in line:
            raise RuntimeError("%s did not say it listens: %r" % (binary, line))
        do, c = udp_client(port) if workload == "udp" else tcp_client(port, workload)
        n = COUNTS[workload]
        do(WARMUP.get(workload, 200))
        warm = 0
        while not collected.is_set():
            if warm >= 100 * COUNTS[workload]:
                raise RuntimeError("%s: no collection in %d warm-up requests" % (binary, warm))
            do(max(1, COUNTS[workload] // 10))
            warm += max(1, COUNTS[workload] // 10)
        before = set(glob.glob(os.path.join(outdir, "cg.%d.*" % srv.pid)))
        _, before = dump(srv.pid, outdir, before)
        do(n)
        ir, _ = dump(srv.pid, outdir, before)
        c.close()
        return ir / n
    finally:
        srv.send_signal(signal.SIGTERM)
        try:
            srv.wait(60)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-w", "--workloads", default="echo,udp,bulk,http,http-module,resp,cpu")
    ap.add_argument("-r", "--runs", type=int, default=3)
    ap.add_argument("binaries", nargs="+", metavar="NAME=BINARY")
    a = ap.parse_args()
    bins = [b.split("=", 1) if "=" in b else (b, b) for b in a.binaries]
    unit = {"bulk": "instructions/MB"}
    with tempfile.TemporaryDirectory() as outdir:
        results = {}
        for w in a.workloads.split(","):
            for r in range(a.runs):
                for name, path in bins:
                    v = measure(path, w, outdir)
                    if w == "bulk":
                        v = v * 1e6 / CHUNK
                    results.setdefault((w, name), []).append(v)
                    print("%-12s run %d  %-10s %12.0f %s" % (w, r + 1, name, v, unit.get(w, "instructions/request")), flush=True)
        print()
        print("| workload | " + " | ".join(n for n, _ in bins) + " | " + " | ".join("%s ÷ %s" % (n, bins[0][0]) for n, _ in bins[1:]) + " |")
        print("| --- |" + " ---: |" * (2 * len(bins) - 1))
        for w in a.workloads.split(","):
            meds = [statistics.median(results[(w, n)]) for n, _ in bins]
            runs = ["%s (%s)" % (f"{m:,.0f}", ", ".join(f"{v:,.0f}" for v in results[(w, n)])) for m, (n, _) in zip(meds, bins)]
            print("| %s | %s | %s |" % (w, " | ".join(runs), " | ".join("%.3f×" % (m / meds[0]) for m in meds[1:])))


if __name__ == "__main__":
    sys.exit(main())
