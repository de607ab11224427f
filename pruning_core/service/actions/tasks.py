"""What the dashboard's buttons start, without Streamlit: each function checks its inputs once (bad input costs
nothing and queues nothing), builds the work a worker thread runs, and submits it to a ``JobQueue``.

A work function runs the training on the queue's executor (``job.remote`` with an ``executors/training.py``
function: a worker process or a Ray worker) and saves every finished model in its run (``job.keep``) as it
lands, so a cancelled schedule keeps its finished steps; the student's session reads them from there
(``sessions.store.SessionStore.sync``). A quick experiment leaves its points and results in ``job.outcome``.

``Requester`` says who asks: ``owner`` (the session family's token: one job at a time, and the runs it may
delete) and ``address`` (the computer, the queue's *client*: a fair share of the queue).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from ... import checkpoint, lab, neurons
from ...checkpoint import Checkpoint
from ...errors import UserError
from ...research import controls, experiments
from ...settings import ModelSettings, TrainSettings
from ..batch import experiment_runs
from ..executors import training
from ..jobs.job import Job
from ..jobs.queue import JobQueue
from ..jobs.records import JobKind, JobSnapshot, JobSpec
from ..runs import store as runs

# LeNet-300-100's weights and biases: the unit of a job's size ("LeNet-300-100 epochs").
REFERENCE_PARAMETERS = 784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10


class Paused(Exception):
    """The job was paused: it ends after the step that just finished, done."""


@dataclass(frozen=True)
class Requester:
    """Who submits: the owner token of a session family, the computer's address ("" where unknown) and the run
    a prune continues ("" for a new one): the student's line of work, kept as one run."""

    owner: str
    address: str = ""
    run: str = ""


def size_in_epochs(parameters: int, epochs: int) -> float:
    """Training cost of ``epochs`` epochs of a model with ``parameters`` parameters, in LeNet-300-100 epochs."""
    return epochs * parameters / REFERENCE_PARAMETERS


def mlp_parameters(hidden: Sequence[int]) -> int:
    """Parameters of 784 -> hidden[0] -> hidden[1] -> 10 with biases."""
    sizes = [784, *hidden, 10]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def prune(queue: JobQueue, models: Sequence[Checkpoint], percents: Sequence[float], scope: str, epochs: int,
          lr: float, requester: Requester, pausable: bool = False) -> Job:
    """Queue a prune step (one percent) or a schedule (several) on the newest of ``models`` (the student's models,
    start first); every finished step is saved in the job's run as it lands (the one way it reaches the
    student's line). A ``pausable`` job ends after the finished step at which ``Job.pause`` was asked
    (``player``'s Pause)."""
    percents = list(percents)
    start = models[-1]
    steps = lab.check_schedule(start, percents, scope, epochs, lr)  # once, before queueing: bad input costs nothing
    kind = JobKind.PRUNE if len(percents) == 1 else JobKind.SCHEDULE
    title = (f"Prune to {percents[0]:g} % ({scope}), retrain {epochs} epoch(s)" if kind == JobKind.PRUNE
             else f"Reference schedule {percents[0]:g} -> {percents[-1]:g} % ({scope})")
    parameters = sum(p.numel() for p in start.model.parameters())
    spec = JobSpec(title, units=len(percents), size=size_in_epochs(parameters, epochs * len(percents)),
                   before=start.accuracy, percents=tuple(percents))

    def work(job: Job) -> None:
        def kept(new: Checkpoint) -> None:
            job.keep(new)
            if job.pausing:
                raise Paused()  # Job.remote stops the work on its way out

        try:
            job.remote(training.schedule, checkpoint.to_bytes(start), start.origin, steps, epochs, lr, on_keep=kept)
        except Paused:
            pass

    settings = {"start": start.origin, "start_accuracy": start.accuracy, "percents": percents, "scope": scope,
                "retrain_epochs": epochs, "lr": lr}
    job = queue.submit(kind, spec, work, requester.owner, settings, requester.address, requester.run)
    job.pausable = pausable
    return job


def remove_neurons(queue: JobQueue, models: Sequence[Checkpoint], chosen: Sequence[int] = (), fewest: int = 0,
                   requester: Requester = Requester("")) -> Job:
    """Queue a hand-made prune step on the newest of ``models``: the fc1 neurons ``chosen``, or the ``fewest``
    live neurons with the fewest connections left (``neurons.fewest_connections``); no retraining, so it is
    quick. The step lands in the job's run like any prune step and joins the student's line from there."""
    start = models[-1]
    picked = neurons.fewest_connections(start.masks, fewest) if fewest else list(chosen)
    picked = neurons.check_removal(start, picked)  # once, before queueing: bad input costs nothing
    named = ", ".join(map(str, picked[:5])) + (" ..." if len(picked) > 5 else "")
    title = f"Remove fc1 neuron{'s' if len(picked) > 1 else ''} {named} by hand"
    spec = JobSpec(title, before=start.accuracy)

    def work(job: Job) -> None:
        job.remote(training.remove_neurons, checkpoint.to_bytes(start), start.origin, picked, on_keep=job.keep)

    settings = {"start": start.origin, "start_accuracy": start.accuracy, "scope": "hand", "neurons": picked,
                "fewest": fewest}
    return queue.submit(JobKind.HAND, spec, work, requester.owner, settings, requester.address, requester.run)


CRITERIA = controls.SCOPES  # magnitude pruning and its two controls, as the stored 3-seed result has them


def comparison_size(start: Checkpoint, percents: Sequence[float], epochs: int) -> tuple[int, float]:
    """A comparison's prune steps and its size in LeNet-300-100 epochs (its price before it is queued)."""
    units = len(CRITERIA) * len(percents)
    return units, size_in_epochs(sum(p.numel() for p in start.model.parameters()), units * epochs)


def compare_criteria(queue: JobQueue, models: Sequence[Checkpoint], percents: Sequence[float], epochs: int,
                     lr: float, requester: Requester) -> Job:
    """Queue the same schedule from the newest of ``models`` for magnitude pruning and the controls
    (``CRITERIA``): every step's point arrives in ``outcome.points`` as it lands and all of them in
    ``outcome.results``; the student's line is not changed."""
    start = models[-1]
    percents = list(percents)
    lab.check_schedule(start, percents, "global", epochs, lr)  # the same rule for every criterion
    units, size = comparison_size(start, percents, epochs)
    spec = JobSpec(f"Magnitude vs random vs largest, {percents[0]:g} -> {percents[-1]:g} %", units=units,
                   expected=units, size=size, before=start.accuracy, percents=tuple(percents),
                   experiment="compare-criteria")

    def work(job: Job) -> None:
        def on_point(point: dict) -> None:
            job.update(points=(*job.outcome.points, point))
            job.run_record.log({"kind": "point", **point})

        job.remote(training.compare_criteria, checkpoint.to_bytes(start), start.origin, list(CRITERIA), percents,
                   epochs, lr, on_keep=job.keep, on_partial=on_point)
        job.update(results={"start": start.origin, "start_accuracy": start.accuracy,
                            "start_sparsity": sparsity_percent(start), "points": list(job.outcome.points)})

    settings = {"start": start.origin, "criteria": list(CRITERIA), "percents": percents, "retrain_epochs": epochs,
                "lr": lr}
    return queue.submit(JobKind.COMPARE, spec, work, requester.owner, settings, requester.address)


def sparsity_percent(ckpt: Checkpoint) -> float:
    """Percent of prunable weights that are zero, as the model card shows it."""
    info = lab.summary(ckpt, accuracy=ckpt.accuracy if ckpt.accuracy is not None else 0.0)
    return 100.0 * (1 - info["nonzero"] / info["total"])


def hidden_sizes(text: str) -> ModelSettings:
    """"300,100" -> ModelSettings; anything else is a one-line UserError."""
    try:
        hidden = tuple(int(part) for part in text.replace(" ", "").split(","))
    except ValueError:
        raise UserError(f"hidden sizes must be two whole numbers such as 300,100; got {text[:40]!r}") from None
    return ModelSettings(hidden=hidden)


def train(queue: JobQueue, recipe: TrainSettings, model_settings: ModelSettings, requester: Requester) -> Job:
    """Queue the training of a new model, saved as its run's one step (``trained_model`` reads it back)."""
    spec = JobSpec(f"Train {'-'.join(map(str, model_settings.hidden))} ({recipe.preset}, {recipe.epochs} epochs)",
                   size=size_in_epochs(mlp_parameters(model_settings.hidden), recipe.epochs))

    def work(job: Job) -> None:
        job.remote(training.train, recipe, model_settings, on_keep=job.keep)

    settings = {"recipe": dataclasses.asdict(recipe), "hidden": list(model_settings.hidden)}
    return queue.submit(JobKind.TRAIN, spec, work, requester.owner, settings, requester.address)


def trained_model(snap: JobSnapshot) -> Checkpoint | None:
    """The model a finished train job made, read from its run, named after its recipe ("trained (seed)"); None
    when the job made none (cancelled or failed before the end)."""
    run = runs.get(snap.run)
    if not run.steps():
        return None
    trained = run.load_step(run.steps()[-1])
    trained.origin = f"trained ({run.config()['settings']['recipe']['preset']})"
    return trained


def quick_experiment(queue: JobQueue, name: str, title: str, requester: Requester,
                     plan: experiments.ExperimentPlan | None = None) -> Job:
    """Queue a quick re-run of experiment ``name``: its points arrive in ``outcome.points`` as they are made
    and its results in ``outcome.results`` (kept by the session only: one student's quick run must not
    replace the class's stored results). The plan is the server's, not the student's: its size is fixed."""
    plan = plan or experiments.QUICK
    spec = JobSpec(f"Quick experiment: {title}", expected=plan.expected_points(name), experiment=name)

    def work(job: Job) -> None:
        def on_point(point: dict) -> None:
            job.update(points=(*job.outcome.points, point))
            job.run_record.log({"kind": "point", **point})

        results = job.remote(experiment_runs.whole, name, plan, on_keep=job.keep, on_partial=on_point)
        job.update(results=results)

    return queue.submit(JobKind.EXPERIMENT, spec, work, requester.owner, {"experiment": name, "quick": plan.quick},
                        requester.address)
