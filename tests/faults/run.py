#!/usr/bin/env python3
"""permitflow's fault suite: the release binary under crashes, outages and races.

Scenarios (each bounded in count and time; everything talks to 127.0.0.1 only):
  crash   kill -9 rounds under concurrent writers, each write keyed (Idempotency-Key) and
          kept in a ledger once acknowledged; after every restart the unacknowledged keys are
          retried. Afterwards: no acknowledged write lost, no invariant broken, no key stuck,
          every owed e-mail delivered to the SMTP receiver (repeats only with one Message-ID).
  smtp    the mail server away for a while under load; once back, how long until the outbox
          is empty.
  dbcut   (PostgreSQL) the database cut off through a TCP proxy that drops every byte:
          503 within ~10 s, /readyz within 2 s, recovery by itself.
  race    (PostgreSQL) two instances on one database, the issuing reviewers deciding the
          same tasks at once on both: one winner each, 409 for the others, never a 5xx.

Usage: python3 tests/faults/run.py [--backend sqlite|postgres] [--rounds N] [--workers N]
       [--binary PATH] [--only crash,smtp,dbcut,race]
PostgreSQL: --pg-admin postgres://postgres@127.0.0.1:5432/postgres (a fresh database is made
and dropped). Build first: cargo build --release. Prints a table; exits 1 on any failure.
"""

import argparse
import asyncio
import concurrent.futures as futures
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

DEMO = "permitflow-demo"
SECRET = "fault-suite-secret-0123456789abcdef0123456789"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sample_pdf(text):
    """A well-formed one-page PDF (the server checks the structure)."""
    content = f"BT /F1 18 Tf 72 770 Td ({text}) Tj ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects):
        offsets.append(len(out))
        out += f"{i + 1} 0 obj\n{obj}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


PDF = sample_pdf("fault suite drawing")


def county_blade():
    return {
        "cargo": {"description": "Wind turbine blade 90 m", "pieces": 1, "divisible": False,
                  "length_m": 90.0, "width_m": 4.0, "height_m": 4.2, "mass_kg": 30000},
        "vehicle": {"tractor_plate": "新B12345", "trailer_plates": ["新B6789挂"],
                    "trailer_type": "extendable_blade", "axles": 10, "overall_length_m": 96.0,
                    "overall_width_m": 4.2, "overall_height_m": 4.8, "gross_mass_kg": 80000,
                    "max_axle_load_kg": 9000},
        "route": {"origin": "Mulei equipment park", "destination": "Santanghu wind farm",
                  "segments": [{"road": "G7", "jurisdiction": "652328", "length_km": 60.5}]},
        # Dates in the server's display time zone (Asia/Shanghai, UTC+8): "from today" is
        # Shanghai's today, also between 16:00 and 24:00 UTC.
        "travel": {"from": time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600)),
                   "to": time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600 + 9 * 86400)),
                   "trips": 5},
        "escort": {"vehicles": 2, "police_escort": True},
    }


# ---------------------------------------------------------------- a tiny SMTP receiver


class SmtpReceiver:
    """Accepts every message; records each Message-ID. `stop()`/`start()` for outages."""

    def __init__(self, port):
        self.port = port
        self.message_ids = []
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self.server = None
        self.clients = set()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    async def _handle(self, reader, writer):
        self.clients.add(writer)
        async def say(line):
            writer.write(line.encode() + b"\r\n")
            await writer.drain()
        try:
            await say("220 faults.test ESMTP")
            while True:
                line = await reader.readline()
                if not line:
                    return
                verb = line.decode(errors="replace").strip().upper()
                if verb.startswith("EHLO"):
                    await say("250-faults.test\r\n250 8BITMIME")
                elif verb.startswith(("HELO", "MAIL", "RCPT", "RSET", "NOOP")):
                    await say("250 OK")
                elif verb.startswith("DATA"):
                    await say("354 go ahead")
                    mid = None
                    while True:
                        data = await reader.readline()
                        if data in (b".\r\n", b".\n", b""):
                            break
                        if data.lower().startswith(b"message-id:"):
                            mid = data.split(b":", 1)[1].strip().decode()
                    with self.lock:
                        self.message_ids.append(mid)
                    await say("250 queued")
                elif verb.startswith("QUIT"):
                    await say("221 bye")
                    return
                else:
                    await say("502 not here")
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.clients.discard(writer)
            writer.close()

    def start(self):
        async def go():
            self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
        asyncio.run_coroutine_threadsafe(go(), self.loop).result()

    def stop(self):
        async def go():
            # The server goes away: the listener and every open (pooled) connection.
            self.server.close()
            for writer in list(self.clients):
                writer.transport.abort()
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(go(), self.loop).result()

    def ids(self):
        with self.lock:
            return list(self.message_ids)


# ---------------------------------------------------------------- a TCP proxy that can drop


class Proxy:
    """127.0.0.1:port → upstream; while `cut`, every byte is held (packets dropped)."""

    def __init__(self, upstream_port):
        self.port = free_port()
        self.cut = False
        self.upstream = upstream_port
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result()

    async def _pump(self, reader, writer):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                while self.cut:
                    await asyncio.sleep(0.05)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _client(self, reader, writer):
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            writer.close()
            return
        asyncio.ensure_future(self._pump(reader, uw))
        asyncio.ensure_future(self._pump(ur, writer))

    async def _serve(self):
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)


# ---------------------------------------------------------------- the server and its API


class Server:
    def __init__(self, binary, database_url, data_dir, smtp_port, log):
        self.binary, self.url, self.dir, self.smtp_port, self.log = binary, database_url, data_dir, smtp_port, log
        self.port = free_port()
        self.proc = None

    def env(self):
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": self.url, "DATA_DIR": self.dir, "SECRET_KEY": SECRET,
            "BIND": f"127.0.0.1:{self.port}", "SMTP_URL": f"smtp://127.0.0.1:{self.smtp_port}",
            "RUST_LOG": "warn", "MAIL_CONCURRENCY": "8",
        })
        return env

    def cli(self, *args):
        subprocess.run([self.binary, *args], env=self.env(), check=True,
                       stdout=subprocess.DEVNULL, stderr=self.log)

    def start(self):
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env(),
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if request(self.port, "GET", "/healthz", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def request(port, method, path, body=None, token=None, key=None, timeout=30, raw=None, ctype=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if ctype:
        headers["Content-Type"] = ctype
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        text = response.read()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return response.status, parsed
    finally:
        conn.close()


def token(port, email):
    status, body = request(port, "POST", "/api/v1/auth/token", {"email": email, "password": DEMO})
    assert status == 200, (status, body)
    return body["token"]


def upload(port, tok, app_id, kind):
    boundary = uuid.uuid4().hex
    parts = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n"
             f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{kind}.pdf\"\r\n"
             f"Content-Type: application/pdf\r\n\r\n").encode() + PDF + f"\r\n--{boundary}--\r\n".encode()
    return request(port, "POST", f"/api/v1/applications/{app_id}/attachments", token=tok, raw=parts,
                   ctype=f"multipart/form-data; boundary={boundary}")


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.fivexx = []
        self.hung = 0

    def add(self, status, what):
        with self.lock:
            self.counts[status] = self.counts.get(status, 0) + 1
            if status >= 500 and status != 503:
                self.fivexx.append((status, what))


# ---------------------------------------------------------------- scenarios


def scenario_crash(env, args, results):
    """kill -9 under concurrent keyed writers, with a ledger of what was acknowledged."""
    server, smtp = env["server"], env["smtp"]
    tally = Tally()
    ledger = {}          # key → (kind, response id or status) once acknowledged
    pending = {}         # key → (method, path, body)  sent but not acknowledged
    lock = threading.Lock()
    stop = threading.Event()
    applicant = token(server.port, "applicant@demo.local")

    def keyed(method, path, body, key):
        with lock:
            pending[key] = (method, path, body)
        try:
            status, resp = request(server.port, method, path, body, token=applicant, key=key, timeout=20)
        except TimeoutError:
            with tally.lock:
                tally.hung += 1
            raise
        tally.add(status, path)
        if 200 <= status < 300:
            with lock:
                pending.pop(key, None)
                ledger[key] = (path, resp.get("id") if isinstance(resp, dict) else None,
                               resp.get("status") if isinstance(resp, dict) else None)
        return status, resp

    def worker(n):
        while not stop.is_set():
            try:
                status, draft = keyed("POST", "/api/v1/applications", county_blade(), f"w{n}-{uuid.uuid4().hex}")
                if status != 201:
                    continue
                for kind in ("contour_drawing", "escort_plan"):
                    s, _ = upload(server.port, applicant, draft["id"], kind)
                    tally.add(s, "upload")
                keyed("POST", f"/api/v1/applications/{draft['id']}/submit", None, f"s{n}-{uuid.uuid4().hex}")
            except (OSError, http.client.HTTPException):
                time.sleep(0.2)   # the server is down: the loop resumes after the restart

    stuck = 0
    retried = 0
    started = time.time()
    for round_no in range(args.rounds):
        stop.clear()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.workers)]
        for t in threads:
            t.start()
        time.sleep(random.uniform(1.0, 3.0))
        server.kill9()
        stop.set()
        for t in threads:
            t.join()
        server.start()
        applicant = token(server.port, "applicant@demo.local")
        # Retry every write whose answer was lost in the crash, with its own key.
        with lock:
            retry = list(pending.items())
        retried += len(retry)
        for key, (method, path, body) in retry:
            status, resp = request(server.port, method, path, body, token=applicant, key=key)
            tally.add(status, path)
            if status == 409 and resp and "still running" in json.dumps(resp):
                stuck += 1
            elif 200 <= status < 300:
                with lock:
                    pending.pop(key, None)
                    ledger[key] = (path, resp.get("id"), resp.get("status"))
            else:
                with lock:
                    pending.pop(key, None)   # refused afresh (e.g. the draft never existed)

    # Every acknowledged write is there.
    lost = 0
    for key, (path, app_id, status) in ledger.items():
        target = app_id
        if target is None:
            continue
        s, body = request(server.port, "GET", f"/api/v1/applications/{target}", token=applicant)
        if s != 200:
            lost += 1
        elif path.endswith("/submit") and body["status"] == "draft":
            lost += 1
    # Invariants, through the API: a submitted application has its acceptance task.
    broken = 0
    page = 1
    while True:
        s, body = request(server.port, "GET", f"/api/v1/applications?per_page=100&page={page}", token=applicant)
        for app in body["items"]:
            if app["status"] in ("submitted", "under_review") and not any(
                    t for p in app["phases"] for t in p["tasks"] if t["state"] in ("open", "claimed")):
                broken += 1
        if page * 100 >= body["total"]:
            break
        page += 1
    # The outbox drains; every owed e-mail arrives.
    owed, delivered, dupes = wait_for_outbox(env, 120)
    took = time.time() - started
    results.append(("crash", f"{args.rounds} × kill -9, {args.workers} writers", {
        "acknowledged": len(ledger), "retried after a crash": retried, "lost": lost,
        "broken": broken, "stuck keys": stuck, "5xx": len(tally.fivexx), "hung": tally.hung,
        "e-mails owed": owed, "delivered": delivered, "repeats (same Message-ID)": dupes,
        "seconds": round(took),
    }, lost == 0 and broken == 0 and stuck == 0 and not tally.fivexx and tally.hung == 0
        and delivered >= owed))


def outbox_counts(env):
    """Outbox rows by status, read from /metrics."""
    status, _ = 0, None
    conn = http.client.HTTPConnection("127.0.0.1", env["server"].port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    counts = {}
    for line in text.splitlines():
        if line.startswith("permitflow_outbox_emails{"):
            name = line.split('status="')[1].split('"')[0]
            counts[name] = int(float(line.rsplit(" ", 1)[1]))
    return counts


def wait_for_outbox(env, seconds):
    deadline = time.time() + seconds
    counts = {}
    while time.time() < deadline:
        counts = outbox_counts(env)
        if counts.get("queued", 0) + counts.get("sending", 0) == 0:
            break
        time.sleep(1)
    ids = [i for i in env["smtp"].ids() if i]
    owed = sum(counts.get(k, 0) for k in ("queued", "sending", "sent", "failed"))
    return owed, len(set(ids)), len(ids) - len(set(ids))


def scenario_smtp(env, args, results):
    server, smtp = env["server"], env["smtp"]
    tally = Tally()
    applicant = token(server.port, "applicant@demo.local")
    smtp.stop()
    for _ in range(20):
        s, draft = request(server.port, "POST", "/api/v1/applications", county_blade(), token=applicant)
        tally.add(s, "create")
        for kind in ("contour_drawing", "escort_plan"):
            tally.add(upload(server.port, applicant, draft["id"], kind)[0], "upload")
        tally.add(request(server.port, "POST", f"/api/v1/applications/{draft['id']}/submit", token=applicant)[0], "submit")
    time.sleep(args.smtp_outage)
    queued = outbox_counts(env).get("queued", 0)
    smtp.start()
    back = time.time()
    owed, delivered, dupes = wait_for_outbox(env, 180)
    drained = time.time() - back
    counts = outbox_counts(env)
    results.append(("smtp", f"mail server away {args.smtp_outage} s", {
        "waiting when back": queued, "drained in s": round(drained, 1), "failed": counts.get("failed", 0),
        "5xx": len(tally.fivexx),
    # The next probe comes 15 s after the last failed one, and the outbox loop runs every 3 s.
    }, drained <= 30 and counts.get("failed", 0) == 0 and not tally.fivexx))


def scenario_dbcut(env, args, results):
    proxy, server = env["proxy"], env["server"]
    applicant = token(server.port, "applicant@demo.local")
    proxy.cut = True
    answers = []

    def timed(path, tok):
        t0 = time.time()
        try:
            s, _ = request(server.port, "GET", path, token=tok, timeout=60)
        except OSError:
            s = 0
        answers.append((path, s, time.time() - t0))

    with futures.ThreadPoolExecutor(12) as pool:
        jobs = [pool.submit(timed, "/readyz", None)] + [
            pool.submit(timed, p, applicant) for p in ["/api/v1/me", "/api/v1/applications"] * 5]
        futures.wait(jobs)
    time.sleep(args.cut_seconds)
    proxy.cut = False
    t0 = time.time()
    recovered = None
    while time.time() - t0 < 60:
        try:
            if request(server.port, "GET", "/api/v1/me", token=applicant, timeout=5)[0] == 200:
                recovered = time.time() - t0
                break
        except OSError:
            pass
        time.sleep(0.2)
    ready = [a for a in answers if a[0] == "/readyz"]
    api = [a for a in answers if a[0] != "/readyz"]
    worst_api = max(a[2] for a in api)
    results.append(("dbcut", "PostgreSQL behind a proxy that drops everything", {
        "readyz": f"{ready[0][1]} in {ready[0][2]:.1f} s",
        "API answers": ",".join(sorted({str(a[1]) for a in api})), "slowest API s": round(worst_api, 1),
        "recovered in s": None if recovered is None else round(recovered, 1),
    }, ready[0][1] == 503 and ready[0][2] < 2.5 and all(a[1] == 503 for a in api) and worst_api < 12.5
        and recovered is not None))


def scenario_race(env, args, results):
    """Two instances; the issuing authority's reviewers decide the same tasks on both."""
    first, second = env["server"], env["second"]
    applicant = token(first.port, "applicant@demo.local")
    reviewers = []
    for i in range(6):
        email = f"issuer{i}-{uuid.uuid4().hex[:6]}@faults.test"
        subprocess.run([first.binary, "user", "create", "--email", email, "--name", "R", "--role", "reviewer",
                        "--authority", "652328-TRANSPORT", "--password-env", "P"],
                       env={**first.env(), "P": "long convoy at night over the pass"}, check=True,
                       stdout=subprocess.DEVNULL, stderr=first.log)
        s, body = request(first.port, "POST", "/api/v1/auth/token",
                          {"email": email, "password": "long convoy at night over the pass"})
        reviewers.append(body["token"])
    police = token(first.port, "652328-police@demo.local")
    tally = Tally()
    bad = 0
    for _ in range(args.races):
        s, draft = request(first.port, "POST", "/api/v1/applications", county_blade(), token=applicant)
        for kind in ("contour_drawing", "escort_plan"):
            upload(first.port, applicant, draft["id"], kind)
        s, app = request(first.port, "POST", f"/api/v1/applications/{draft['id']}/submit", token=applicant)
        for phase_name in ("acceptance", "joint_review", "issuance"):
            s, app = request(first.port, "GET", f"/api/v1/applications/{draft['id']}", token=applicant)
            phase = next(p for p in app["phases"] if p["name"] == phase_name)
            for task in phase["tasks"]:
                if task["state"] not in ("open", "claimed"):
                    continue
                tokens = reviewers if task["authority_code"] == "652328-TRANSPORT" else [police] * 4
                statuses = []

                def decide(i):
                    port = (first, second)[i % 2].port
                    statuses.append(request(port, "POST", f"/api/v1/tasks/{task['id']}/decision",
                                            {"decision": "approve"}, token=tokens[i % len(tokens)])[0])
                with futures.ThreadPoolExecutor(len(tokens)) as pool:
                    list(pool.map(decide, range(len(tokens))))
                for st in statuses:
                    tally.add(st, "decision")
                if statuses.count(200) != 1 or any(st not in (200, 409) for st in statuses):
                    bad += 1
        s, app = request(first.port, "GET", f"/api/v1/applications/{draft['id']}", token=applicant)
        if app["status"] != "issued":
            bad += 1
    results.append(("race", f"{args.races} applications, decisions on two instances", {
        "decisions": sum(tally.counts.values()), "200": tally.counts.get(200, 0), "409": tally.counts.get(409, 0),
        "5xx": len(tally.fivexx), "tasks without exactly one winner": bad,
    }, bad == 0 and not tally.fivexx))


# ---------------------------------------------------------------- main


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--pg-admin", default="postgres://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--binary", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "permitflow"))
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--smtp-outage", type=int, default=60)
    p.add_argument("--cut-seconds", type=int, default=5)
    p.add_argument("--races", type=int, default=4)
    p.add_argument("--only", default="crash,smtp,dbcut,race")
    args = p.parse_args()
    wanted = args.only.split(",")
    if not os.path.exists(args.binary):
        sys.exit(f"{args.binary} is missing: cargo build --release first")

    work = tempfile.mkdtemp(prefix="permitflow-faults-")
    log = open(os.path.join(work, "server.log"), "wb")
    smtp = SmtpReceiver(free_port())
    smtp.start()
    db_name = None
    if args.backend == "postgres":
        db_name = f"faults_{uuid.uuid4().hex[:10]}"
        subprocess.run(["psql", args.pg_admin, "-qc", f"CREATE DATABASE {db_name}"], check=True)
        base = args.pg_admin.rsplit("/", 1)[0]
        direct = f"{base}/{db_name}"
        pg_port = int(base.rsplit(":", 1)[1]) if base.rsplit(":", 1)[1].isdigit() else 5432
        proxy = Proxy(pg_port)
        host = base.split("://", 1)[1].split("@")[0]
        url = f"postgres://{host}@127.0.0.1:{proxy.port}/{db_name}"
    else:
        proxy, direct = None, None
        url = f"sqlite://{work}/faults.db"
    server = Server(args.binary, url, work, smtp.port, log)
    results = []
    second = None
    try:
        server.cli("migrate")
        server.cli("seed", "--demo", "--days", "1")
        server.start()
        env = {"server": server, "smtp": smtp, "proxy": proxy}
        if "crash" in wanted:
            scenario_crash(env, args, results)
        if "smtp" in wanted:
            scenario_smtp(env, args, results)
        if args.backend == "postgres" and "dbcut" in wanted:
            scenario_dbcut(env, args, results)
        if args.backend == "postgres" and "race" in wanted:
            second = Server(args.binary, url, work, smtp.port, log)
            second.start()
            env["second"] = second
            scenario_race(env, args, results)
    finally:
        server.stop()
        if second:
            second.stop()
        if db_name:
            subprocess.run(["psql", args.pg_admin, "-qc", f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"])
    print(f"\npermitflow fault suite — {args.backend}, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"{'scenario':8} {'result':6} {'what':48} figures")
    failed = False
    for name, what, figures, ok in results:
        failed |= not ok
        shown = ", ".join(f"{k}: {v}" for k, v in figures.items())
        print(f"{name:8} {'ok' if ok else 'FAIL':6} {what:48} {shown}")
    passed = sum(1 for r in results if r[3])
    print(f"{passed} passed, {len(results) - passed} failed")
    if failed:
        print(f"server log: {work}/server.log")
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
