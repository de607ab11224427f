"""The dashboard's work without a browser: ``service.actions.tasks`` checks inputs before queueing, runs a prune step,
a schedule, a training and a quick experiment in a real ``JobQueue``, and leaves a typed outcome.

Tiny settings throughout (0 retraining epochs, a tiny experiment plan); waits poll the job's state with a
generous deadline that only guards against hanging.
"""
from __future__ import annotations

import pytest

from pruning_core.errors import UserError
from pruning_core.prune import Unreachable
from pruning_core.research import experiments
from pruning_core.service.actions import player, tasks
from pruning_core.service.jobs.records import JobStatus
from pruning_core.train import Progress
from pruning_core.settings import preset
from tests.service.helpers import line_after, wait_finished

ME = tasks.Requester("owner-token-0001")


def test_prune_step_leaves_the_line_and_a_run(queue, baseline):
    snap = wait_finished(tasks.prune(queue, [baseline], [50.0], "global", 0, 0.01, ME))
    assert snap.status == JobStatus.DONE and snap.kind == "prune"
    assert snap.spec.title == "Prune to 50 % (global), retrain 0 epoch(s)" and snap.spec.before == baseline.accuracy
    line = line_after(snap, [baseline])
    assert [len(s.history) for s in line] == [0, 1]
    assert line[0] is baseline and line[1].history[-1].percent == 50.0
    assert snap.events[0].kind == "pruned" and isinstance(snap.events[0], Progress)
    assert snap.fraction == 1.0
    run = queue.get(snap.id).run_record
    assert run.steps() == [1] and run.config()["settings"]["percents"] == [50.0]
    assert run.status()["status"] == JobStatus.DONE and isinstance(run.status()["status"], JobStatus)


def test_reference_schedule_continues_above_the_current_sparsity(queue, baseline):
    first = line_after(wait_finished(tasks.prune(queue, [baseline], [95.0], "global", 0, 0.01, ME)), [baseline])
    snap = wait_finished(player.play(queue, first, player.DEFAULT_SCHEDULE, "global", 0, 0.01, ME))
    line = line_after(snap, first)
    assert snap.kind == "schedule" and snap.spec.percents == (98.0, 99.0) and snap.spec.units == 2
    assert [s.history[-1].percent for s in line[2:]] == [98.0, 99.0]
    with pytest.raises(Unreachable, match="the schedule has no step left"):
        player.play(queue, line, player.DEFAULT_SCHEDULE, "global", 0, 0.01, ME)


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
    model = tasks.trained_model(trained)
    assert trained.status == JobStatus.DONE and model.model.settings.hidden == (30, 10)
    assert model.origin == "trained (seed)"
    plan = experiments.ExperimentPlan(True, experiments.ExperimentSettings((50.0,), 0, 0, (1,)),
                                      experiments.QUICK.width_300_vs_600)
    snap = wait_finished(tasks.quick_experiment(queue, "global_vs_layer", "Global vs layer", ME, plan))
    assert snap.status == JobStatus.DONE and snap.spec.expected == len(snap.outcome.points) == 2
    assert snap.outcome.results["settings"]["percents"] == [50.0] and snap.fraction == 1.0


def test_removing_a_neuron_by_hand_is_a_step_of_the_line(queue, baseline):
    snap = wait_finished(tasks.remove_neurons(queue, [baseline], [12], requester=ME))
    assert snap.status == JobStatus.DONE and snap.kind == "hand" and snap.kind.extends_line
    line = line_after(snap, [baseline])
    step = line[1].history[-1]
    assert (step.scope, step.neurons, step.retrain_epochs) == ("hand", (12,), 0)
    assert not line[1].model.fc1.weight[12].any() and line[1].model.fc1.weight[11].all()
    assert queue.get(snap.id).run_record.config()["settings"]["neurons"] == [12]
    weakest = wait_finished(tasks.remove_neurons(queue, line, fewest=3, requester=ME))
    removed = line_after(weakest, line)[2].history[-1].neurons
    assert len(removed) == 3 and 12 not in removed  # neuron 12 is dead already: nothing left to remove there
    with pytest.raises(UserError, match="no connections left"):
        tasks.remove_neurons(queue, line, [12], requester=ME)
    with pytest.raises(UserError, match="from 0 to 299"):
        tasks.remove_neurons(queue, line, [300], requester=ME)


def test_comparing_magnitude_with_the_controls_runs_one_schedule_per_criterion(queue, baseline):
    job = tasks.compare_criteria(queue, [baseline], [30.0, 50.0], 0, 0.01, ME)
    snap = wait_finished(job)
    assert snap.status == JobStatus.DONE and snap.kind == "compare" and not snap.kind.extends_line
    points = snap.outcome.results["points"]
    assert [(p["scope"], p["percent"]) for p in points] == [
        (scope, percent) for scope in tasks.CRITERIA for percent in (30.0, 50.0)]
    assert snap.fraction == 1.0 and snap.spec.expected == 6 and snap.spec.experiment == "compare-criteria"
    at_50 = {p["scope"]: p["accuracy_after_retrain"] for p in points if p["percent"] == 50.0}
    assert at_50["global"] > at_50["random"] > at_50["largest"]  # the seed baseline's order (README numbers)
    assert queue.get(snap.id).run_record.steps() == []  # no model kept: the student's line is not changed
    assert queue.estimated_seconds(6, 0.0) is not None  # measured from the jobs that finished
    with pytest.raises(UserError):
        tasks.compare_criteria(queue, [baseline], [50.0, 30.0], 0, 0.01, ME)
