"""What the dashboard's buttons start, without Streamlit: each function checks its inputs (bad input costs
nothing and queues nothing), builds the work a worker thread runs, and submits it to a ``JobQueue``.

A work function runs the training on the queue's executor (``job.remote`` with a ``service/works.py``
function: a worker process or a Ray worker), saves every finished step in its run (``job.keep``) and leaves what the
session should adopt in ``job.outcome`` as it goes (``job.update``), so a cancelled schedule keeps its
finished steps. The page adopts the outcome when the job ends; a durable per-student session store can adopt
the same ``JobOutcome`` (or read the run directory, which holds every step) instead of ``st.session_state``.

``Client`` says who asks: ``owner`` (the session family's token: one job at a time, and the runs it may
delete) and ``address`` (the computer: a fair share of the queue).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .. import checkpoint, lab
from ..checkpoint import Checkpoint
from ..errors import UserError
from ..prune import Unreachable
from ..research import experiments
from ..settings import REFERENCE_PERCENTS, ModelSettings, TrainSettings
from .jobs import Job, JobQueue
from .records import JobSpec
from . import experiment_runs, works

# LeNet-300-100's weights and biases: the unit of a job's size ("LeNet-300-100 epochs").
REFERENCE_PARAMETERS = 784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10


class Paused(Exception):
    """A finished step's ``should_pause`` said stop: the job ends there, done."""


@dataclass(frozen=True)
class Client:
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


def prune(queue: JobQueue, line: Sequence[Checkpoint], percents: Sequence[float], scope: str, epochs: int,
          lr: float, client: Client, should_pause: Callable[[], bool] | None = None) -> Job:
    """Queue a prune step (one percent) or a schedule (several) on the newest model of ``line``; the
    outcome's ``steps`` is ``line`` plus every step finished so far. ``should_pause`` is asked after each
    finished step: True ends the job there (``service.player``'s Pause)."""
    line, percents = tuple(line), list(percents)
    start = line[-1]
    lab.check_schedule(start, percents, scope, epochs, lr)  # before queueing: bad input costs nothing
    kind = "prune" if len(percents) == 1 else "schedule"
    title = (f"Prune to {percents[0]:g} % ({scope}), retrain {epochs} epoch(s)" if kind == "prune"
             else f"Reference schedule {percents[0]:g} -> {percents[-1]:g} % ({scope})")
    parameters = sum(p.numel() for p in start.model.parameters())
    spec = JobSpec(title, units=len(percents), size=size_in_epochs(parameters, epochs * len(percents)),
                   before=start.accuracy, percents=tuple(percents))

    def work(job: Job) -> None:
        done = list(line)

        def kept(new: Checkpoint) -> None:
            job.keep(new)
            done.append(new)
            job.update(steps=tuple(done))
            if should_pause is not None and should_pause():
                raise Paused()  # remote.run stops the work on its way out

        try:
            job.remote(works.schedule, checkpoint.to_bytes(start), start.origin, percents, scope, epochs, lr,
                       on_keep=kept)
        except Paused:
            pass

    settings = {"start": start.origin, "start_accuracy": start.accuracy, "percents": percents, "scope": scope,
                "retrain_epochs": epochs, "lr": lr}
    return queue.submit(kind, spec, work, client.owner, settings, client.address, client.run)


def reference_schedule(queue: JobQueue, line: Sequence[Checkpoint], scope: str, epochs: int, lr: float,
                       client: Client) -> Job:
    """The reference's percents (10 -> 99 %) above the model's current sparsity, as one schedule job."""
    sparsity = sparsity_percent(line[-1])
    todo = [p for p in REFERENCE_PERCENTS if p > sparsity + 1e-9]
    if not todo:
        raise Unreachable(f"the model is already {sparsity:.2f}% pruned, beyond the schedule's last step")
    return prune(queue, line, todo, scope, epochs, lr, client)


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


def train(queue: JobQueue, recipe: TrainSettings, model_settings: ModelSettings, client: Client) -> Job:
    """Queue the training of a new model; the outcome's ``steps`` is the trained model alone."""
    spec = JobSpec(f"Train {'-'.join(map(str, model_settings.hidden))} ({recipe.preset}, {recipe.epochs} epochs)",
                   size=size_in_epochs(mlp_parameters(model_settings.hidden), recipe.epochs))

    def work(job: Job) -> None:
        def kept(trained: Checkpoint) -> None:
            job.keep(trained)
            job.update(steps=(trained,))

        job.remote(works.train, recipe, model_settings, on_keep=kept)

    settings = {"recipe": dataclasses.asdict(recipe), "hidden": list(model_settings.hidden)}
    return queue.submit("train", spec, work, client.owner, settings, client.address)


def quick_experiment(queue: JobQueue, name: str, title: str, client: Client,
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

    return queue.submit("experiment", spec, work, client.owner, {"experiment": name, "quick": plan.quick},
                        client.address)
