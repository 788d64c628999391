#!/usr/bin/env python3
"""Constant-rate (open-loop) HTTP load generator for bench/soak. Standard library only.

    bench/soak_load.py --port P --prefix '/gateway/v1/…?sfzhm=' --keys FILE --token T --rate 200 --minutes 30
                       --pid PID [--connections 64] [--seed 1]

Why not wrk: wrk is closed-loop (each connection sends its next request when the previous answer arrives), so the
rate follows the server's speed and a slow answer hides the requests that should have been sent meanwhile
("coordinated omission"); wrk2, which holds a rate, is not in Debian. Here request i is due at t0 + i/rate
whatever happens to earlier ones; it goes out on an idle keep-alive connection (a new one is opened while fewer
than --connections exist, otherwise it waits for one), and its latency is counted from the moment it was due, so
queueing inside the generator or the server shows in p99 instead of lowering the rate.

Each request is a GET of PREFIX + a random key from FILE with `Authorization: Bearer TOKEN`; a 200 answer is a
success, anything else (another status, a socket error, no answer within 10 s) an error. At the end of every
minute it prints one line (and flushes), by the minute the requests were due in:

    MINUTE n requests=N errors=N p50_ms=X p99_ms=X max_ms=X rss_kb=N

where rss_kb is VmRSS of --pid from /proc/PID/status read at the end of the minute, and after the last minute
    DONE requests=N errors=N statuses=200:N,… lag_ms=X retried_on_new_connection=N
lag_ms is how far behind its schedule the sender fell at worst (it should stay near 0: the rate was held);
retried_on_new_connection counts requests sent again because an idle keep-alive connection had been closed by
the server before the request reached it (what any HTTP client does; a second failure is an error).
"""

import argparse
import asyncio
import random
import sys
import time

TIMEOUT = 10.0


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return -1
    return -1


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


class Connection:
    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer

    def close(self):
        try:
            self.writer.close()
        except Exception:
            pass


async def read_response(reader):
    """Reads one HTTP/1.1 response; returns (status, keep_alive)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()  # body until close
        return status, False
    connection = headers.get("connection", "").lower()
    keep_alive = connection == "keep-alive" if lines[0].startswith("HTTP/1.0") else connection != "close"
    return status, keep_alive


class Generator:
    def __init__(self, args, keys):
        self.args = args
        self.keys = keys
        self.random = random.Random(args.seed)
        self.idle = []
        self.open_connections = 0
        self.waiters = []
        self.minutes = {}  # minute -> [latencies in ms, errors]
        self.statuses = {}
        self.max_lag = 0.0
        self.reconnects = 0
        self.header = (
            f"Host: 127.0.0.1:{args.port}\r\nAuthorization: Bearer {args.token}\r\n"
            "Accept: application/json\r\n\r\n"
        ).encode()

    async def acquire(self, fresh=False):
        """A connection and whether it was used before (an idle keep-alive connection)."""
        if self.idle and not fresh:
            return self.idle.pop(), True
        if self.open_connections < self.args.connections:
            self.open_connections += 1
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", self.args.port), TIMEOUT)
            except BaseException:
                self.open_connections -= 1
                raise
            return Connection(reader, writer), False
        future = asyncio.get_running_loop().create_future()
        self.waiters.append(future)
        return await future, True

    def release(self, connection, reusable):
        if not reusable:
            connection.close()
            self.open_connections -= 1
            if self.waiters:  # a slot is free: let a waiter open a fresh connection
                waiter = self.waiters.pop(0)
                asyncio.ensure_future(self._open_for(waiter))
            return
        while self.waiters:
            waiter = self.waiters.pop(0)
            if not waiter.done():
                waiter.set_result(connection)
                return
        self.idle.append(connection)

    async def _open_for(self, waiter):
        try:
            self.open_connections += 1
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.args.port), TIMEOUT)
            connection = Connection(reader, writer)
            if waiter.done():
                self.release(connection, True)
            else:
                waiter.set_result(connection)
        except BaseException as error:
            self.open_connections -= 1
            if not waiter.done():
                waiter.set_exception(error)

    async def one(self, due, minute):
        key = self.keys[self.random.randrange(len(self.keys))]
        request = f"GET {self.args.prefix}{key} HTTP/1.1\r\n".encode() + self.header
        status = None
        for attempt in (1, 2):
            connection = None
            reused = False
            try:
                connection, reused = await asyncio.wait_for(self.acquire(), max(0.1, due + TIMEOUT - time.monotonic()))
                connection.writer.write(request)
                await connection.writer.drain()
                status, keep_alive = await asyncio.wait_for(
                    read_response(connection.reader), max(0.1, due + TIMEOUT - time.monotonic()))
                self.release(connection, keep_alive)
                break
            except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as error:
                if connection is not None:
                    self.release(connection, False)
                status = type(error).__name__
                # A keep-alive connection the server closed while it was idle: like any HTTP client, send the
                # request once more on a new connection (counted as an error if that fails too).
                if not (reused and attempt == 1 and (
                        not isinstance(error, asyncio.IncompleteReadError) or not error.partial)):
                    break
                self.reconnects += 1
            except BaseException as error:
                if connection is not None:
                    self.release(connection, False)
                status = type(error).__name__
                break
        latency_ms = (time.monotonic() - due) * 1000.0
        record = self.minutes.setdefault(minute, [[], 0])
        record[0].append(latency_ms)
        if status != 200:
            record[1] += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1

    async def run(self):
        args = self.args
        interval = 1.0 / args.rate
        total = int(args.minutes * 60 * args.rate)
        per_minute = int(60 * args.rate)
        start = time.monotonic() + 0.2
        tasks = set()
        reporter = asyncio.ensure_future(self.report(start))
        for i in range(total):
            due = start + i * interval
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                self.max_lag = max(self.max_lag, -delay)
            task = asyncio.ensure_future(self.one(due, i // per_minute))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*list(tasks))
        await reporter
        for connection in self.idle:
            connection.close()
        requests = sum(len(v[0]) for v in self.minutes.values())
        errors = sum(v[1] for v in self.minutes.values())
        statuses = ",".join(f"{k}:{v}" for k, v in sorted(self.statuses.items(), key=lambda kv: str(kv[0])))
        print(f"DONE requests={requests} errors={errors} statuses={statuses} lag_ms={self.max_lag * 1000:.1f} "
              f"retried_on_new_connection={self.reconnects}",
              flush=True)

    async def report(self, start):
        minutes = int(self.args.minutes)
        for minute in range(minutes):
            end = start + (minute + 1) * 60.0
            # wait until the minute's last requests have had their time to answer (or time out)
            await asyncio.sleep(max(0.0, end - time.monotonic()))
            rss = rss_kb(self.args.pid)
            await asyncio.sleep(min(TIMEOUT + 1, 2.0))
            deadline = time.monotonic() + TIMEOUT + 1
            expected = int(60 * self.args.rate)
            while len(self.minutes.get(minute, [[], 0])[0]) < expected and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            latencies, errors = self.minutes.get(minute, [[], 0])
            values = sorted(latencies)
            print(
                f"MINUTE {minute + 1} requests={len(values)} errors={errors} p50_ms={percentile(values, 50):.2f} "
                f"p99_ms={percentile(values, 99):.2f} max_ms={(values[-1] if values else 0):.2f} rss_kb={rss}",
                flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--keys", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.rate <= 0 or args.minutes <= 0:
        sys.exit("--rate and --minutes must be positive")
    with open(args.keys) as file:
        keys = [line.strip() for line in file if line.strip()]
    if not keys:
        sys.exit(f"no keys in {args.keys}")
    asyncio.run(Generator(args, keys).run())


if __name__ == "__main__":
    main()
