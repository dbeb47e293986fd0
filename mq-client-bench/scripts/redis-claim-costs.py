#!/usr/bin/env python3
"""Where the Redis side of a fallback drain goes: redis-server CPU per message for raw LMPOP, the same pop inside
Lua, SmartMQ's claim script (+ its HDEL ack) and two claim-by-move designs, on one connection, 1,000-byte values,
AOF on with appendfsync no (as the testkit's and the bench's Redis).

Usage: python3 mq-client-bench/scripts/redis-claim-costs.py [messages]   (redis-server on the PATH; about 30 s)

The claim script is read from the store's source (Scripts.CLAIM), so the figure follows the code. One connection,
no pipelining between batches: the figures are per message of server CPU (utime + stime of redis-server from
/proc), not throughput. The server is started here on 127.0.0.1 on a free port and stopped at the end.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(ROOT, "mq-client-redis-fallback/src/main/java/dev/smartmq/redis/internal/Scripts.java")
N = int(sys.argv[1]) if len(sys.argv) > 1 else 160_000
BATCH = 16
VALUE = b"x" * 1000


def claim_script():
    src = open(SCRIPTS).read()
    body = re.search(r'CLAIM = script\("claim", """\n(.*?)"""\);', src, re.S).group(1)
    return "\n".join(line.strip() for line in body.splitlines() if not line.strip().startswith("#!"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Conn:
    """A minimal RESP2 client: enough for this measurement, nothing else."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.reader = self.sock.makefile("rb")

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def read(self):
        line = self.reader.readline()
        kind, body = line[:1], line[1:-2]
        if kind in (b"+", b"-"):
            if kind == b"-":
                raise RuntimeError(body.decode())
            return body
        if kind == b":":
            return int(body)
        if kind == b"$":
            n = int(body)
            return None if n < 0 else self.reader.read(n + 2)[:-2]
        if kind == b"*":
            n = int(body)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("unexpected reply " + repr(line))

    def many(self, commands):
        self.sock.sendall(b"".join(commands))
        return [self.read() for _ in commands]

    def call(self, *args):
        return self.many([self.encode(*args)])[0]


def main():
    port = free_port()
    work = tempfile.mkdtemp(prefix="smartmq-claim-costs-")
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "yes", "--appendfsync", "no", "--dir", work],
                              stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                c = Conn(port)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("redis-server did not start")
        tick = os.sysconf("SC_CLK_TCK")

        def cpu():
            f = open(f"/proc/{server.pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(f[11]) + int(f[12])) / tick

        claim = c.call("SCRIPT", "LOAD", claim_script()).decode()
        lua_pop = c.call("SCRIPT", "LOAD", "local v = redis.call('LPOP', KEYS[1], tonumber(ARGV[1])) "
                                           "if not v then return {} end return v").decode()

        def preload():
            c.call("DEL", "q", "f", "n", "p")
            push = Conn.encode("RPUSH", "q", VALUE)
            for i in range(0, N, 500):
                c.many([push] * min(500, N - i))

        def measure(label, step):
            preload()
            c0, n = cpu(), 0
            while True:
                k = step()
                if k == 0:
                    break
                n += k
            print(f"{label:<58} {1e6 * (cpu() - c0) / n:5.2f} us/msg  ({n} messages)", flush=True)

        def lmpop():
            v = c.call("LMPOP", 1, "q", "LEFT", "COUNT", BATCH)
            return 0 if v is None else len(v[1])

        def pop_in_lua():
            v = c.call("EVALSHA", lua_pop, 1, "q", BATCH)
            return len(v) if v else 0

        def claim_and_ack():
            v = c.call("EVALSHA", claim, 3, "q", "f", "n", BATCH, "consumer-1", "token")
            if not v:
                return 0
            fields = v[0::2]
            c.call("HDEL", "f", *fields)
            return len(fields)

        moves = [Conn.encode("MULTI")] + [Conn.encode("LMOVE", "q", "p", "LEFT", "RIGHT")] * BATCH + [
            Conn.encode("EXEC")]

        def move_then_trim():
            got = [v for v in (c.many(moves)[-1] or []) if v is not None]
            if got:
                c.call("LTRIM", "p", len(got), -1)
            return len(got)

        def move_then_lrem():
            got = [v for v in (c.many(moves)[-1] or []) if v is not None]
            if got:
                c.many([Conn.encode("LREM", "p", 1, v) for v in got])
            return len(got)

        measure("raw LMPOP COUNT 16 (the bench's baseline)", lmpop)
        measure("the same LPOP 16 inside a Lua script (values cross Lua)", pop_in_lua)
        measure("SmartMQ claim script (LPOP + INCRBY + HSET) + HDEL ack", claim_and_ack)
        measure("move: MULTI 16 x LMOVE to a processing list + LTRIM ack", move_then_trim)
        measure("move: MULTI 16 x LMOVE + 16 x LREM ack (exact ack)", move_then_lrem)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
