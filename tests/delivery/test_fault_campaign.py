"""The fault campaign of issue 18 on PostgreSQL: three "machines" (processes with their own host identities, so only
heartbeats tell a dead one; where Linux namespaces are available, each also has its own network stack and host name
and reaches PostgreSQL only through its Unix socket), each a real procrastinate worker (``syndication worker``'s code
path); the leader's send job is deferred as the scheduler defers it. In each of 20 runs one worker is SIGKILLed at a
random point (planning or sending); its job is put back by procrastinate's stalled-job retry and the ledger's lease
hands its claims to whoever runs next. In 5 more runs three ``syndication run`` machines (each with its worker) send a
slot and the leader's machine is SIGKILLed while it goes out. Every run ends with every recipient sent exactly once or
in a reported in-doubt batch; the killed job is taken up, and a new leader leads, within the lease.

The issue's full size is 200,000 recipients a run: ``SYNDICATION_FAULT_RECIPIENTS=200000`` selects it (batches of
1,000 and waits ten times as long follow from the size; ``SYNDICATION_FAULT_BATCH`` overrides the batch size); the
default, 2,000 in batches of 20, keeps the campaign to a few minutes on two shared cores.
``SYNDICATION_FAULT_REPORT=path`` appends one JSON line a run (the figures in docs/developers/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from machine import wait_until
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from syndication.clock import SystemClock
from syndication.delivery.ledger import Ledger
from syndication.delivery.statuses import RecipientStatus
from syndication.delivery.tables import delivery_recipients
from syndication.runtime import Runtime
from syndication.scheduler.leadership import Leader, LeaderLease
from syndication.scheduler.ledger import SendKey, SendLedger, SendStatus
from syndication.store.db import open_engine

from .fault_machine import LEASE, fault_sink, settings_for, sink_metadata

SCRIPT = Path(__file__).with_name("fault_machine.py")
RECIPIENTS = int(os.environ.get("SYNDICATION_FAULT_RECIPIENTS", "2000"))
# 200 batches a run whatever the size (20 at the default, 1,000 at the 200,000).
BATCH = int(os.environ.get("SYNDICATION_FAULT_BATCH", str(max(20, RECIPIENTS // 200))))
# Waits for planning and sending grow with the size (upper bounds only: a healthy run is much quicker).
PATIENCE = max(1.0, RECIPIENTS / 20_000)
WORKER_RUNS = 20
LEADER_RUNS = 5
MACHINES = ("machine-a", "machine-b", "machine-c")
BERLIN = ZoneInfo("Europe/Berlin")
# Each process start pays imports; the campaign gives every wait this much besides the lease.
SLACK = timedelta(seconds=2)
# A dead worker is known a lease after its last heartbeat, by a worker that looks every third of the lease. (An
# idle worker then fetches the job within a third of the lease, its polling; with three jobs a slot the others are
# busy with their own copies, which take the dead one's batches over through the ledger instead.)
FAILOVER_BOUND = LEASE + LEASE / 3 + SLACK


@dataclass
class Store:
    url: str
    engine: Engine
    # What the machines connect with: through PostgreSQL's Unix socket when they run in network namespaces of their
    # own (a namespace has its own loopback; a socket in the file system is reachable from every one).
    machine_url: str
    # The command each machine starts under (namespaces of its own), or [] when they share this one's.
    isolation: list[str]


@pytest.fixture
def fresh_store(postgres_url: str) -> Iterator[Callable[[], Store]]:
    """Makes migrated PostgreSQL stores, each in a schema of its own, with the sink table; drops them after."""
    base = os.environ["SYNDICATION_TEST_POSTGRES_URL"]
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    made: list[tuple[str, Engine]] = []

    def make() -> Store:
        schema = f"f_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        options = f"options=-csearch_path%3D{schema}"
        url = f"{base}{'&' if '?' in base else '?'}{options}"
        engine = open_engine(url)
        sink_metadata.create_all(engine)
        made.append((schema, engine))
        socket_url = _socket_url(engine)
        if NAMESPACES and socket_url:
            return Store(url, engine, f"{socket_url}&{options}", NAMESPACES)
        return Store(url, engine, url, [])

    try:
        yield make
    finally:
        for schema, engine in made:
            engine.dispose()
            with admin.connect() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _report(figures: dict[str, object]) -> None:
    line = json.dumps(figures, default=str)
    print(line, flush=True)
    path = os.environ.get("SYNDICATION_FAULT_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def _namespace_command() -> list[str]:
    """The command that starts a process in a network and UTS namespace of its own, or [] where Linux cannot.

    Unprivileged users need a user namespace for it (``--map-root-user``); containers often forbid both.
    ``SYNDICATION_FAULT_NAMESPACES=0`` runs the machines without them.
    """
    unshare = shutil.which("unshare")
    if unshare is None or os.environ.get("SYNDICATION_FAULT_NAMESPACES") == "0":
        return []
    command = [unshare, "--net", "--uts", *([] if os.geteuid() == 0 else ["--map-root-user"])]
    tried = subprocess.run([*command, "true"], capture_output=True, check=False)
    return [*command, "--"] if tried.returncode == 0 else []


NAMESPACES = _namespace_command()


def _socket_url(engine: Engine) -> str | None:
    """The server's database through its Unix socket, or None when it has none this machine can reach."""
    directories = str(_scalar(engine, "SHOW unix_socket_directories") or "")
    port = _scalar(engine, "SELECT current_setting('port')")
    for directory in (part.strip() for part in directories.split(",")):
        if directory and not directory.startswith("@") and Path(directory, f".s.PGSQL.{port}").exists():
            database, user = _scalar(engine, "SELECT current_database()"), _scalar(engine, "SELECT current_user")
            url = f"postgresql://{user}@/{database}?host={directory}&port={port}"
            probe = open_engine(url)
            try:  # the socket may refuse what TCP allows (pg_hba.conf's "local" lines)
                _scalar(probe, "SELECT 1")
            except OperationalError:
                continue
            finally:
                probe.dispose()
            return url
    return None


def _start(
    args: list[str], host: str, log: Path, isolation: list[str], *, database_clock: bool = False
) -> subprocess.Popen[bytes]:
    """One machine's process. In namespaces of its own it is named ``host`` by its host name, so its claims and
    leadership carry what ``socket.gethostname()`` gives, as on a real machine; else by ``SYNDICATION_HOST_ID``."""
    # database_clock: the machine runs on the real clock, which the database's is, not on a moved one (the moved-clock
    # run preloads libfaketime into this process and its children).
    env = {name: value for name, value in os.environ.items() if name != "SYNDICATION_HOST_ID"}
    env.update({"SYNDICATION_FAULT_HOSTNAME": host} if isolation else {"SYNDICATION_HOST_ID": host})
    if database_clock:
        env = {name: value for name, value in env.items() if name not in ("LD_PRELOAD", "FAKETIME")}
    return subprocess.Popen(
        [*isolation, sys.executable, str(SCRIPT), *args], env=env,
        stdout=subprocess.DEVNULL, stderr=log.open("ab"), start_new_session=True, close_fds=True,
    )


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)


def _scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def _outcome(engine: Engine, edition: str) -> tuple[dict[str, int], dict[RecipientStatus, int], int]:
    """(messages the provider has per address, ledger recipients by status, addresses sent but not had)."""
    with engine.connect() as connection:
        had = dict(connection.execute(select(fault_sink.c.email, func.count()).where(fault_sink.c.edition == edition)
                                      .group_by(fault_sink.c.email)).all())
        statuses = dict(connection.execute(
            select(delivery_recipients.c.status, func.count()).where(delivery_recipients.c.edition_id == edition)
            .group_by(delivery_recipients.c.status)).all())
    sent = {email for _, email, _ in Ledger(engine).sent_to(edition)}
    return had, {RecipientStatus(status): count for status, count in statuses.items()}, len(sent - set(had))


def _assert_exactly_once_or_in_doubt(engine: Engine, edition: str) -> int:
    """Every recipient sent (and had once by the provider) or in doubt (had at most once); returns the in-doubt."""
    had, statuses, sent_not_had = _outcome(engine, edition)
    assert [] == [email for email, count in had.items() if count > 1], f"{edition}: a message went out twice"
    assert 0 == sent_not_had
    assert RECIPIENTS == statuses.get(RecipientStatus.SENT, 0) + statuses.get(RecipientStatus.IN_DOUBT, 0), statuses
    return statuses.get(RecipientStatus.IN_DOUBT, 0)


def _running_jobs(engine: Engine) -> dict[int, datetime]:
    """The send jobs running now, with their worker's last procrastinate heartbeat."""
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT j.id, w.last_heartbeat FROM procrastinate_jobs j "
            "JOIN procrastinate_workers w ON w.id = j.worker_id WHERE j.status = 'doing'"))
        return {row.id: row.last_heartbeat for row in rows}


def _sending_hosts(engine: Engine) -> list[str]:
    """The machines in a send right now, by the ledger's heartbeats (procrastinate's do not name a worker); a
    killed worker's row stays behind, so only a beat younger than half the lease counts."""
    fresh = SystemClock().now() - LEASE / 2
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT worker, beat_at FROM delivery_workers")).all()
    return sorted({row.worker.split("/")[0] for row in rows if _aware(row.beat_at) > fresh})


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _jobs_settled(engine: Engine) -> bool:
    return _scalar(engine, "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')") == 0


def _progress(engine: Engine, table: str, since: int) -> int:
    # max(id) against the run's first: a count of a table that grows by 200,000 rows a run would cost the
    # machines their cores while we watch.
    return int(_scalar(engine, f"SELECT coalesce(max(id), 0) FROM {table}") or 0) - since


@dataclass(frozen=True)
class Kill:
    """One kill: where it struck, whom, when (database clock), and the jobs running just before."""

    phase: str
    victim: str
    at: datetime
    running: dict[int, datetime]
    # The batches the victim held (claimed, being sent) when it died.
    claims: tuple[int, ...]


def _kill_at_random(store: Store, machines: dict[str, subprocess.Popen[bytes]], edition: str,
                    chance: random.Random, run: int, baselines: tuple[int, int]) -> Kill:
    """Wait for a random point of the run (a share of the plan written, or of the messages sent) and SIGKILL
    the machine at work there: the planner, or one in a send."""
    planning = run % 4 == 0
    share = chance.uniform(0.05, 0.95) if planning else chance.uniform(0.0, 1.0)
    planned_since, sent_since = baselines
    if planning:
        wait_until(lambda: _progress(store.engine, "delivery_recipients", planned_since) >= share * RECIPIENTS
                   or _progress(store.engine, "fault_sink", sent_since) > 0, 120 * PATIENCE, interval=0.02)
    else:
        wait_until(lambda: _progress(store.engine, "fault_sink", sent_since) >= max(1, share * RECIPIENTS)
                   or _jobs_settled(store.engine), 600 * PATIENCE, interval=0.02)
    running = _running_jobs(store.engine)
    sending = _sending_hosts(store.engine)
    owner = _scalar(store.engine, "SELECT owner FROM delivery_runs WHERE edition_id = :e AND status = 'planning'",
                    e=edition)
    planner = str(owner).split("/")[0] if owner else None
    if planner in machines:
        victim, phase = str(planner), "planning"
    elif sending:
        victim, phase = chance.choice(sending), "sending"
    else:
        victim, phase = chance.choice(sorted(machines)), "idle"
    with store.engine.connect() as connection:
        claims = tuple(connection.execute(text(
            "SELECT id FROM delivery_batches WHERE status = 'sending' AND claimed_by LIKE :victim"),
            {"victim": f"{victim}/%"}).scalars())
    _kill(machines[victim])
    killed_at = _scalar(store.engine, "SELECT clock_timestamp()")
    assert isinstance(killed_at, datetime)
    return Kill(phase, victim, killed_at, running, claims)


def _failover(engine: Engine, kill: Kill, edition: str) -> dict[str, object]:
    """Seconds from the kill until: its job was put back (also from its worker's last heartbeat: the lease's
    measure), the job ran again, the batch the victim held was decided by another machine (in doubt, or given
    back and claimed again), and another machine sent the edition's next message."""
    with engine.connect() as connection:
        job = connection.execute(text(
            "SELECT job_id FROM procrastinate_events WHERE type = 'deferred_for_retry' AND at > :at "
            "ORDER BY at LIMIT 1"), {"at": kill.at}).scalar()
        events = dict(connection.execute(text(
            "SELECT type, min(at) FROM procrastinate_events WHERE job_id = :job AND at > :at "
            "AND type IN ('deferred_for_retry', 'started') GROUP BY type"), {"job": job, "at": kill.at}).all())
        decided = connection.execute(text(
            "SELECT max(CASE WHEN status = 'in_doubt' THEN finished_at ELSE claimed_at END) FROM delivery_batches "
            "WHERE id = ANY(:ids) AND claimed_by NOT LIKE :victim"),
            {"ids": list(kill.claims), "victim": f"{kill.victim}/%"}).scalar() if kill.claims else None
        resumed = connection.execute(text(
            "SELECT min(at) FROM fault_sink WHERE edition = :e AND host <> :host AND at > :at"),
            {"e": edition, "host": kill.victim, "at": kill.at}).scalar()

    def seconds(moment: object, since: datetime | None) -> float | None:
        return round((moment - since).total_seconds(), 2) if isinstance(moment, datetime) and since else None

    put_back = events.get("deferred_for_retry")
    return {"killed_job": job, "job_put_back_after_kill": seconds(put_back, kill.at),
            "job_put_back_after_beat": seconds(put_back, kill.running.get(job) if job is not None else None),
            "job_ran_again_after_kill": seconds(events.get("started"), kill.at),
            "claim_decided_after_kill": seconds(decided, kill.at),
            "next_message_after_kill": seconds(resumed, kill.at)}


@pytest.mark.slow
@pytest.mark.postgres
def test_a_worker_killed_at_random_leaves_every_recipient_sent_once_or_in_doubt(
    fresh_store: Callable[[], Store], tmp_path: Path
) -> None:
    """20 runs; in each the leader's send job(s) go to three worker machines and the one planning or running a
    job is SIGKILLed at a random point; its job is put back within the lease (procrastinate's stalled-job retry)
    and finished by another machine, and every recipient is sent once or in doubt (at most a batch a kill)."""
    store = fresh_store()
    chance = random.Random(18)
    args = ["worker", store.machine_url, str(RECIPIENTS), str(BATCH)]
    machines = {host: _start(args, host, tmp_path / f"{host}.log", store.isolation) for host in MACHINES}
    # The leader's side: one send job a slot in even-numbered runs (the default [workers] send_jobs), three in
    # odd ones (all machines share the batches, and a kill leaves two at work).
    runtimes = {copies: Runtime(settings=settings_for(store.url, SYNDICATION_WORKERS__SEND_JOBS=str(copies)),
                                clock=SystemClock()) for copies in (1, 3)}
    in_doubt = 0
    late: list[dict[str, object]] = []
    try:
        from syndication.scheduler.queue import Deferrer

        deferrers = {copies: Deferrer(runtime) for copies, runtime in runtimes.items()}
        for run in range(WORKER_RUNS):
            started = time.monotonic()
            edition, copies = f"fault-{run:02d}", 3 if run % 2 else 1
            key = SendKey("daily", date(2026, 11, 24) + timedelta(days=run), "06:00")
            baselines = (_progress(store.engine, "delivery_recipients", 0), _progress(store.engine, "fault_sink", 0))
            _queue(store.engine, deferrers[copies], key, edition)
            kill = _kill_at_random(store, machines, edition, chance, run, baselines)
            done = wait_until(lambda: _jobs_settled(store.engine) and _settled(store.engine, key),  # noqa: B023
                              600 * PATIENCE, interval=0.2)
            figures = {"run": run, "kind": "worker", "namespaces": bool(store.isolation), "recipients": RECIPIENTS,
                        "jobs": copies, "phase": kill.phase,
                       "victim": kill.victim, **_failover(store.engine, kill, edition)}
            # The killed machine's worker comes back (for the next run), as a supervisor would start it again.
            machines[kill.victim] = _start(args, kill.victim, tmp_path / f"{kill.victim}.log", store.isolation)
            assert done, f"run {run} did not finish: {figures}"
            figures["in_doubt"] = doubt = _assert_exactly_once_or_in_doubt(store.engine, edition)
            figures["slot"] = SendLedger(store.engine).get(key).status  # type: ignore[union-attr]
            figures["seconds"] = round(time.monotonic() - started, 1)
            _report(figures)
            in_doubt += doubt
            assert doubt <= BATCH
            after_beat = figures["job_put_back_after_beat"]
            if isinstance(after_beat, float) and after_beat > FAILOVER_BOUND.total_seconds():
                late.append(figures)
    finally:
        for machine in machines.values():
            _kill(machine)
        for runtime in runtimes.values():
            runtime.close()
    assert [] == late
    # Reported, not hidden: the in-doubt recipients are what `digest doubt` lists; at most a batch a kill.
    assert in_doubt <= WORKER_RUNS * BATCH


def _queue(engine: Engine, deferrer: object, key: SendKey, edition: str) -> None:
    """What the scheduler leader does for a due slot with [workers] queue on (SchedulerService._queue)."""
    ledger = SendLedger(engine)
    assert ledger.claim(key, SystemClock().now()) is not None
    ledger.set_edition(key, edition)
    deferrer.send(key, edition)  # type: ignore[attr-defined]
    ledger.mark_queued(key)


def _settled(engine: Engine, key: SendKey) -> bool:
    record = SendLedger(engine).get(key)
    return record is not None and record.status in (SendStatus.SENT, SendStatus.FAILED)


def _leader(lease: LeaderLease, pids: set[int]) -> Leader | None:
    current = lease.current()
    if current is None or current.holder is None or int(current.holder.split("/")[1]) not in pids:
        return None
    return current


@pytest.mark.slow
@pytest.mark.postgres
def test_the_scheduler_leader_killed_mid_send_is_replaced_within_the_lease(
    fresh_store: Callable[[], Store], tmp_path: Path
) -> None:
    """5 runs; three machines, each a `run` (queue on) and a worker; the leader defers the 06:00 send and its
    machine is SIGKILLed while the slot goes out; another leads within the lease, the send job is finished
    (retried if it ran on the dead machine), the slot is settled, and every recipient is sent once or in doubt."""
    chance = random.Random(6)
    for run in range(LEADER_RUNS):
        started = time.monotonic()
        store = fresh_store()
        killed_at, second, key, job_put_back = _leader_run(store, tmp_path / f"leader-{run}", chance)
        assert isinstance(second, Leader) and isinstance(killed_at, Leader)
        record = SendLedger(store.engine).get(key)
        assert record is not None and record.edition_id is not None
        doubt = _assert_exactly_once_or_in_doubt(store.engine, record.edition_id)
        failover = second.taken_at - killed_at.renewed_at
        _report({"run": run, "kind": "leader", "namespaces": bool(store.isolation), "recipients": RECIPIENTS,
                 "lead_taken_after_last_renewal": round(failover.total_seconds(), 2),
                 "job_put_back_after_kill": job_put_back, "slot": record.status, "in_doubt": doubt,
                 "seconds": round(time.monotonic() - started, 1)})
        assert failover <= LEASE + LEASE / 3 + SLACK
        assert doubt <= BATCH


def _leader_run(
    store: Store, workdir: Path, chance: random.Random
) -> tuple[object, object, SendKey, float | None]:
    """(the lease as the killed leader last renewed it, the new leader's lease, the slot's key, seconds until the
    send job was put back when the dead machine's worker was running it)."""
    workdir.mkdir()
    start = datetime(2026, 11, 24, 5, 59, 57, tzinfo=BERLIN)
    key = SendKey("daily", start.date(), "06:00")
    # The clocks read 05:59:57 once the processes are up; the machines pace it by the real (the database's) clock.
    epoch = float(_scalar(store.engine, "SELECT extract(epoch FROM clock_timestamp())")) + 8  # type: ignore[arg-type]
    scheduler_args = ["scheduler", store.machine_url, str(RECIPIENTS), str(BATCH), start.isoformat(), str(epoch)]
    worker_args = ["worker", store.machine_url, str(RECIPIENTS), str(BATCH)]
    machines = {host: (_start(scheduler_args, host, workdir / f"{host}-run.log", store.isolation, database_clock=True),
                       _start(worker_args, host, workdir / f"{host}-worker.log", store.isolation, database_clock=True))
                for host in MACHINES}
    observer = LeaderLease(store.engine, "observer", SystemClock(), LEASE)
    pids = {scheduler.pid: host for host, (scheduler, _) in machines.items()}
    try:
        first = wait_until(lambda: _leader(observer, set(pids)), 120)
        assert isinstance(first, Leader) and first.holder is not None
        assert wait_until(lambda: _progress(store.engine, "fault_sink", 0), 300 * PATIENCE)
        time.sleep(chance.uniform(0.0, 2.0) * PATIENCE)
        # The leader now (on two busy cores a lease may have lapsed and passed to another since the first).
        killed_at = wait_until(lambda: _leader(observer, set(pids)), 120)
        assert isinstance(killed_at, Leader) and killed_at.holder is not None
        leader_pid = int(killed_at.holder.split("/")[1])
        for process in machines[pids[leader_pid]]:
            _kill(process)
        died = _scalar(store.engine, "SELECT clock_timestamp()")
        second = wait_until(lambda: _leader(observer, set(pids) - {leader_pid}), 120)
        assert wait_until(lambda: _jobs_settled(store.engine) and _settled(store.engine, key), 600 * PATIENCE,
                          interval=0.2), "the slot was not settled"
    finally:
        for pair in machines.values():
            for process in pair:
                _kill(process)
    put_back = _scalar(store.engine, "SELECT min(at) FROM procrastinate_events WHERE type = 'deferred_for_retry' "
                       "AND at > :at", at=died)
    job_put_back = round((put_back - died).total_seconds(), 2) if isinstance(put_back, datetime) else None
    return killed_at, second, key, job_put_back
