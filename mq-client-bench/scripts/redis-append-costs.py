#!/usr/bin/env python3
"""Where the Redis side of a fallback append goes: redis-server CPU per message for the store's APPEND_BATCH script
(read from Scripts.java, so the figure follows the code), for the same appends as MULTI + RPUSH + a post-check script
that gets no values (the cap check trims what went over; values never enter Lua), and for plain RPUSH (no cap check:
the lower bound), with flushes of B = 4 (about what 8 sync senders give the group commit) and 16 appends, to 1 and 3
groups; 1,000-byte values, AOF on with appendfsync no (as the bench's Redis), one connection, one flush per round trip.

Usage: python3 mq-client-bench/scripts/redis-append-costs.py [messages per row]   (redis-server on the PATH)

Server CPU is utime + stime of redis-server from /proc (10 ms ticks: use >= 100,000 messages per row). The server is
started here on 127.0.0.1 on a free port and stopped at the end. Two rounds, so the spread shows.
"""
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# The minimal RESP client and the free-port helper of the claim measurement, not written twice.
spec = importlib.util.spec_from_file_location("claim_costs", os.path.join(HERE, "redis-claim-costs.py"))
rcc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rcc)
Conn = rcc.Conn
SCRIPTS = os.path.join(ROOT, "mq-client-redis-fallback/src/main/java/dev/smartmq/redis/internal/Scripts.java")
src = open(SCRIPTS).read()
body = re.search(r'APPEND_BATCH = script\("append-batch", """\n(.*?)"""\);', src, re.S).group(1)
APPEND = "\n".join(l.strip() for l in body.splitlines() if not l.strip().startswith("#!"))
CHECK = """
local cap = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS, 2 do
  local over = redis.call('LLEN', KEYS[i]) + redis.call('HLEN', KEYS[i + 1]) - cap
  if over > 0 then redis.call('LTRIM', KEYS[i], 0, -over - 1) out[#out + 1] = over else out[#out + 1] = 0 end
end
return out
"""
N = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
VALUE = b"x" * 1000
port = rcc.free_port()
work = tempfile.mkdtemp(prefix="smartmq-append-costs-")
server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                           "--appendonly", "yes", "--appendfsync", "no", "--dir", work], stdout=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            c = Conn(port); break
        except OSError:
            time.sleep(0.05)
    tick = os.sysconf("SC_CLK_TCK")
    def cpu():
        f = open(f"/proc/{server.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / tick
    append = c.call("SCRIPT", "LOAD", APPEND).decode()
    check = c.call("SCRIPT", "LOAD", CHECK).decode()
    def keys(g):
        return [k for i in range(g) for k in (f"q{i}", f"f{i}")]
    def run(label, batch, groups, make):
        cmds = make(batch, groups)
        c.call("FLUSHALL")
        c0 = cpu(); n = 0
        while n < N:
            c.many(cmds)
            n += batch
            if n % 20000 < batch:
                c.call("DEL", *[f"q{i}" for i in range(groups)])
        print(f"{label:<44} B={batch:<3} groups={groups}  {1e6 * (cpu() - c0) / n:5.2f} us/msg", flush=True)
    def script_cmds(batch, groups):
        args = ["1000000", str(batch)]
        for _ in range(batch):
            args += [str(groups)] + [str(i + 1) for i in range(groups)] + [VALUE]
        return [Conn.encode("EVALSHA", append, 2 * groups, *keys(groups), *args)]
    def multi_cmds(batch, groups):
        return ([Conn.encode("MULTI")] + [Conn.encode("RPUSH", f"q{i}", *([VALUE] * batch)) for i in range(groups)]
                + [Conn.encode("EVALSHA", check, 2 * groups, *keys(groups), "1000000"), Conn.encode("EXEC")])
    def rpush_cmds(batch, groups):
        return [Conn.encode("RPUSH", f"q{i}", *([VALUE] * batch)) for i in range(groups)]
    for rnd in range(2):
        for b in (4, 16):
            for g in (1, 3):
                run("APPEND_BATCH script (today)", b, g, script_cmds)
                run("MULTI + RPUSH + post-check script", b, g, multi_cmds)
                run("plain RPUSH (lower bound, no guard)", b, g, rpush_cmds)
finally:
    server.terminate(); server.wait()
