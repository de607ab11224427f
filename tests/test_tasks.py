"""The dashboard's work without a browser: ``service.tasks`` checks inputs before queueing, runs a prune step,
a schedule, a training and a quick experiment in a real ``JobQueue``, and leaves a typed outcome.

Tiny settings throughout (0 retraining epochs, a tiny experiment plan); waits poll the job's state with a
generous deadline that only guards against hanging.
"""
from __future__ import annotations

import pytest

from pruning_core.errors import UserError
from pruning_core.prune import Unreachable
from pruning_core.research import experiments
from pruning_core.service import tasks
from pruning_core.service.records import JobStatus, ProgressEvent
from pruning_core.settings import preset
from tests.helpers import wait_finished

ME = tasks.Client("owner-token-0001")


def test_prune_step_leaves_the_line_and_a_run(queue, baseline):
    snap = wait_finished(tasks.prune(queue, [baseline], [50.0], "global", 0, 0.01, ME))
    assert snap.status == JobStatus.DONE and snap.kind == "prune"
    assert snap.spec.title == "Prune to 50 % (global), retrain 0 epoch(s)" and snap.spec.before == baseline.accuracy
    assert [len(s.history) for s in snap.outcome.steps] == [0, 1]
    assert snap.outcome.steps[0] is baseline and snap.outcome.steps[1].history[-1].percent == 50.0
    assert snap.events[0].kind == "pruned" and isinstance(snap.events[0], ProgressEvent)
    assert snap.fraction == 1.0
    run = queue.get(snap.id).run_record
    assert run.steps() == [1] and run.config()["settings"]["percents"] == [50.0]
    assert run.status()["status"] == JobStatus.DONE and isinstance(run.status()["status"], JobStatus)


def test_reference_schedule_continues_above_the_current_sparsity(queue, baseline):
    first = wait_finished(tasks.prune(queue, [baseline], [95.0], "global", 0, 0.01, ME)).outcome.steps
    snap = wait_finished(tasks.reference_schedule(queue, first, "global", 0, 0.01, ME))
    assert snap.kind == "schedule" and snap.spec.percents == (98.0, 99.0) and snap.spec.units == 2
    assert [s.history[-1].percent for s in snap.outcome.steps[2:]] == [98.0, 99.0]
    with pytest.raises(Unreachable, match="beyond the schedule's last step"):
        tasks.reference_schedule(queue, snap.outcome.steps, "global", 0, 0.01, ME)


def test_bad_input_queues_nothing(queue, baseline):
    with pytest.raises(UserError):
        tasks.prune(queue, [baseline], [50.0, 40.0], "global", 0, 0.01, ME)  # percents never decrease
    with pytest.raises(UserError, match="hidden sizes must be two whole numbers"):
        tasks.hidden_sizes("300,x")
    with pytest.raises(UserError, match="too large for the shared server"):
        tasks.train(queue, preset("seed", epochs=100), tasks.hidden_sizes("4096,4096"), ME)
    assert queue.waiting() == 0 and not queue._jobs


def test_job_size_counts_epochs_times_width():
    assert tasks.size_in_epochs(tasks.mlp_parameters((300, 100)), 3) == pytest.approx(3.0)
    assert tasks.size_in_epochs(tasks.mlp_parameters((600, 100)), 1) > 1.9


def test_training_and_a_quick_experiment(queue):
    trained = wait_finished(tasks.train(queue, preset("seed", epochs=0), tasks.hidden_sizes("30, 10"), ME))
    assert trained.status == JobStatus.DONE and trained.outcome.steps[0].model.settings.hidden == (30, 10)
    assert trained.outcome.steps[0].origin == "trained (seed)"
    plan = experiments.ExperimentPlan(True, experiments.ExperimentSettings((50.0,), 0, 0, (1,)),
                                      experiments.QUICK.width_300_vs_600)
    snap = wait_finished(tasks.quick_experiment(queue, "global_vs_layer", "Global vs layer", ME, plan))
    assert snap.status == JobStatus.DONE and snap.spec.expected == len(snap.outcome.points) == 2
    assert snap.outcome.results["settings"]["percents"] == [50.0] and snap.fraction == 1.0
