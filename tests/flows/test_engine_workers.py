"""The engine in real RQ worker processes: the database decides who runs what, Redis only wakes workers.

Workers are ``manage.py rqworker`` subprocesses on the test database (a SQLite file) and the Redis of
the settings (or, for the restart test, a throwaway Redis of this test's own). The target holds its
answer after a given write, so a test knows exactly where a worker is when it kills it or restarts Redis.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import django_rq
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rq.job import Job

from hub.flows import runs
from hub.flows.engine.context import run_context
from hub.flows.engine.delivering import claim
from hub.flows.engine.pipeline import process_page
from hub.flows.jobs import enqueue
from hub.flows.models import Delivery, DeliveryState, Run, RunState
from hub.flows.outbox import outbox_deliver
from hub.flows.runs import run_request, runs_requeue_abandoned
from hub.flows.scheduling import LOST_AFTER, tick
from hub.systems.services import system_connector
from tests.access import secret_scan
from tests.flows.servers import SourceServer, TargetServer

pytestmark = pytest.mark.django_db(transaction=True)

EXECUTE = "hub.flows.jobs.execute_run"
TAKEN = "taken by another worker or already finished"


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds} s waiting for {what}")
        time.sleep(0.05)


def email(number: int) -> str:
    return f"user{number:05d}@example.com"


def assert_each_delivered_once(target: TargetServer, count: int) -> None:
    assert target.writes_per_key() == {email(n): 1 for n in range(1, count + 1)}
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}
    assert Delivery.objects.count() == count


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rpartition(")")[2].split()[1])


class Workers:
    """The worker processes a test starts; each is stopped at the end, its work horse too."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []
        self.horses: list[int] = []  # forked by one of ours, seen doing a run

    def start(self, *, burst: bool, redis_url: str | None = None) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
            "REDIS_URL": redis_url or settings.REDIS_URL,
        }
        log_path = self.logs / f"worker-{len(self.started) + 1}.log"
        secret_scan.SCAN.watch(log_path)  # the secrets scan reads the worker's log lines too
        log = log_path.open("wb")
        command = [sys.executable, "manage.py", "rqworker", "default", *(["--burst"] if burst else [])]
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.started.append(process)
        return process

    def log(self, process: subprocess.Popen[bytes]) -> str:
        number = self.started.index(process) + 1
        return (self.logs / f"worker-{number}.log").read_text(errors="replace")[-3000:]

    def wait_for(self, condition: Callable[[], bool], *, seconds: float, what: str) -> None:
        try:
            wait_for(condition, seconds=seconds, what=what)
        except AssertionError as error:
            logs = "\n".join(self.log(process) for process in self.started)
            raise AssertionError(f"{error}; the workers said:\n{logs}") from None

    def finish(self, process: subprocess.Popen[bytes], *, seconds: float = 60) -> None:
        """Wait for a burst worker to empty the queue and exit cleanly."""
        assert process.wait(timeout=seconds) == 0, self.log(process)

    def horse_of(self, run: Run, process: subprocess.Popen[bytes]) -> int:
        """The work horse running ``run``: the pid in the run's worker name, a child of ``process``."""
        pid = int(Run.objects.get(pk=run.pk).worker.rpartition(":")[2])
        assert parent_of(pid) == process.pid, "the run is not held by the worker this test started"
        self.horses.append(pid)
        return pid

    def kill_hard(self, run: Run, process: subprocess.Popen[bytes]) -> None:
        """kill -9 the horse and its worker, as a crash or the OOM killer would."""
        os.kill(self.horse_of(run, process), signal.SIGKILL)
        process.kill()
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()  # warm shutdown; a second one is cold and kills the horse
                try:
                    process.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        for pid in self.horses:  # a horse has its own process group: it outlives a killed worker
            if parent_of(pid) is not None and "rqworker" in Path(f"/proc/{pid}/cmdline").read_text():
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    started = Workers(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def queue() -> Any:
    found = django_rq.get_queue("default")
    found.empty()  # jobs other tests left behind (their runs are gone with their database)
    return found


def finished_results(queue: Any, run: Run, *, known: set[str]) -> list[tuple[str, str]]:
    """(result, worker) of each job for ``run`` that finished during this test (not in ``known``)."""
    ids = [i for i in queue.finished_job_registry.get_job_ids() if i not in known]
    jobs = [j for j in Job.fetch_many(ids, connection=queue.connection) if j is not None]
    return sorted(
        (str(j.return_value()), str(j.worker_name))
        for j in jobs
        if j.func_name == EXECUTE and j.args == (run.pk,)
    )


def test_two_workers_woken_for_the_same_run_run_it_once(
    make_flow, source: SourceServer, target: TargetServer, workers: Workers, queue: Any
):
    source.add(40)
    flow = make_flow(page_size=20)
    target.hold_after_writes(10)
    run, _ = run_request(flow=flow, trigger="manual")  # enqueued on commit
    assert enqueue(EXECUTE, run.pk)  # and once more, as a duplicate delivery of the job would
    assert queue.count == 2
    known = set(queue.finished_job_registry.get_job_ids())  # Redis outlives the test database

    first = workers.start(burst=True)
    workers.wait_for(target.held.is_set, seconds=30, what="the first worker to push")
    second = workers.start(burst=True)  # takes the second job while the first worker holds the run
    workers.finish(second)
    target.release()
    workers.finish(first)

    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED, run.error
    assert run.executions == 1
    results = finished_results(queue, run, known=known)
    assert [result for result, _ in results] == [RunState.SUCCEEDED, TAKEN]
    assert len({name for _, name in results}) == 2  # two workers, each with one of the jobs
    assert_each_delivered_once(target, 40)


def test_a_worker_killed_mid_run_is_replaced_and_every_record_arrives_once(
    make_flow,
    source: SourceServer,
    target: TargetServer,
    workers: Workers,
    queue: Any,
    monkeypatch: pytest.MonkeyPatch,
):
    source.add(100)
    flow = make_flow(page_size=20, retry_window_seconds=2)
    target.hold_after_writes(30)  # page 2, half pushed: items 21 to 30 are written, no answer comes back
    run, _ = run_request(flow=flow, trigger="manual")

    doomed = workers.start(burst=False)
    workers.wait_for(target.held.is_set, seconds=30, what="the worker to push page 2")
    workers.kill_hard(run, doomed)
    target.release()
    run.refresh_from_db()
    assert (run.state, run.pages, run.fetched) == (RunState.RUNNING, 2, 40)  # left behind, mid-run

    monkeypatch.setattr(runs, "STALE_AFTER", timedelta(seconds=5))
    assert runs_requeue_abandoned() == []  # its last heartbeat is recent: not abandoned yet
    assert runs_requeue_abandoned(now=timezone.now() + timedelta(seconds=6)) == [run.pk]
    workers.finish(workers.start(burst=True))

    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED, run.error
    assert run.executions == 2
    assert run.fetched == run.accounted == 100
    # The deliveries the dead worker had claimed wait for their lease (10 minutes) to run out: time
    # passes here, and the outbox sends them. See test_a_requeued_run_delivers_what_its_dead_worker_claimed.
    Delivery.objects.filter(state=DeliveryState.PENDING).update(next_attempt_at=None)
    outbox_deliver(flow_id=flow.pk)
    assert_each_delivered_once(target, 100)
    assert target.replays == 10  # written before the crash, asked for again with the same key


class ThrowawayRedis:
    """A Redis of this test's own on a free loopback port, that the test can restart."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        d = self.directory
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--daemonize", "yes",
             "--save", "", "--appendonly", "no", "--dir", str(d), "--pidfile", str(d / "redis.pid"),
             "--logfile", str(d / "redis.log")],
            check=True, timeout=10,
        )  # fmt: skip
        wait_for(self._answers, seconds=10, what=f"redis on port {self.port}")

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True, timeout=10
        )
        wait_for(lambda: not self._answers(), seconds=10, what=f"redis on port {self.port} to stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def _answers(self) -> bool:
        done = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, timeout=10)
        return done.stdout.strip() == b"PONG"


@pytest.fixture
def throwaway_redis(tmp_path: Path, settings: Any) -> Iterator[ThrowawayRedis]:
    redis = ThrowawayRedis(tmp_path)
    redis.start()
    settings.RQ_QUEUES = {name: {**queue, "URL": redis.url} for name, queue in settings.RQ_QUEUES.items()}
    try:
        yield redis
    finally:
        redis.stop()


def test_redis_restarted_while_a_run_is_queued_and_while_it_runs_loses_nothing(
    make_flow, source: SourceServer, target: TargetServer, workers: Workers, throwaway_redis: ThrowawayRedis
):
    source.add(60)
    flow = make_flow(page_size=20)
    target.hold_after_writes(30)
    queue = django_rq.get_queue("default")
    run, _ = run_request(flow=flow, trigger="manual")
    assert queue.count == 1

    throwaway_redis.restart()  # the job is gone; the run waits in the database
    assert queue.count == 0
    assert tick(timezone.now() + LOST_AFTER + timedelta(seconds=1))["lost"] == 1
    assert queue.count == 1

    worker = workers.start(burst=False, redis_url=throwaway_redis.url)
    workers.wait_for(target.held.is_set, seconds=30, what="the worker to push page 2")
    workers.horse_of(run, worker)  # to be stopped at the end, whatever Redis did to its worker
    throwaway_redis.restart()  # while the run is running
    target.release()
    wait_for(
        lambda: Run.objects.get(pk=run.pk).state not in (RunState.QUEUED, RunState.RUNNING),
        seconds=60,
        what="the run to finish",
    )

    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED, run.error
    assert run.executions == 1
    assert run.fetched == run.accounted == 60
    assert_each_delivered_once(target, 60)
    assert tick() == {
        "started": 0,
        "requeued": 0,
        "lost": 0,
        "outbox": 0,
        "audit_checks": 0,
        "link_tests": 0,
    }  # nothing left to do


@pytest.mark.django_db  # in process: nothing is enqueued
def test_a_requeued_run_delivers_what_its_dead_worker_claimed(
    make_flow, source: SourceServer, target: TargetServer, monkeypatch: pytest.MonkeyPatch
):
    source.add(20)
    flow = make_flow(page_size=20, retry_window_seconds=2)
    run, _ = run_request(flow=flow, trigger="manual")
    # What a worker did before it was killed: claimed the run, stored page 1, claimed its deliveries.
    claimed = runs.run_claim(run.pk, worker="gone:1")
    assert claimed is not None
    context = run_context(claimed)
    page = next(
        system_connector(system=context.source, reason="test").fetch(resource=context.inbound_resource)
    )
    process_page(context, 1, page.records)
    assert len(claim(context.flow, limit=100, run=claimed)) == 20

    monkeypatch.setattr(runs, "STALE_AFTER", timedelta(seconds=1))
    assert runs_requeue_abandoned(now=timezone.now() + timedelta(seconds=2)) == [run.pk]
    finished = runs.run_execute(run.pk, worker="new:2")

    assert finished is not None
    assert (finished.state, finished.created, finished.failed) == (RunState.SUCCEEDED, 20, 0)
    assert_each_delivered_once(target, 20)


def test_a_run_busy_pushing_a_long_batch_is_not_taken_for_abandoned(
    make_flow, source: SourceServer, target: TargetServer, monkeypatch: pytest.MonkeyPatch
):
    source.add(20)
    flow = make_flow(page_size=20)
    target.slow(0.1)  # one claimed batch of 20 takes 2 s to push
    run, _ = run_request(flow=flow, trigger="manual")
    monkeypatch.setattr(runs, "STALE_AFTER", timedelta(seconds=0.5))  # 90 s, scaled down with the push
    monkeypatch.setattr(runs.Heartbeat, "EVERY", 0.1)  # 15 s, scaled down alike

    def work() -> None:
        try:
            runs.run_execute(run.pk, worker="alive:1")
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    try:
        wait_for(lambda: target.total_writes() >= 10, seconds=20, what="the push to be half done")
        requeued = runs_requeue_abandoned()
    finally:
        worker.join(timeout=30)

    assert requeued == []
    run.refresh_from_db()
    assert (run.state, run.executions) == (RunState.SUCCEEDED, 1)
