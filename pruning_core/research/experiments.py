"""The two classroom experiments, run end to end and stored as small JSON files for the dashboard.

* ``global_vs_layer``: from the shipped ``baseline``, iterative prune -> retrain with one global threshold vs
  one threshold per layer; accuracy after pruning and after retraining at each percent, per seed.
* ``width_300_vs_600``: train LeNet-300-100 and LeNet-600-100 with the same recipe, prune both, and measure
  the mean percent of hidden neurons active (ReLU output > 0) on the test set before and after pruning.

A *seed* is the retraining/training shuffle seed (pruning itself is deterministic). ``quick`` uses one seed,
few percents and short training so a whole experiment finishes in under a minute on two CPU cores; the full
versions are what ``python -m pruning_core experiments`` precomputes into ``assets/experiments/``.

Each experiment is a few independent runs - one per (seed, scope) or (seed, width), ``run_keys`` - made by a
``Runner``: ``sequential`` (this thread, one after another) by default, or one that the caller passes in
(``service.batch.experiment_runs``: works on an executor, two or more at once); this layer never imports it.

Schema (both files): ``{"name", "quick", "created", "settings": {...}, "runs": [{..., "points": [...]}]}``;
global_vs_layer runs carry ``scope``/``seed`` and points ``{percent, sparsity, accuracy_after_prune,
accuracy_after_retrain}``; width runs carry ``hidden``/``seed``/``baseline_accuracy`` and points
``{percent, accuracy, active_fraction: {fc1, fc2}}`` with percent 0 = before pruning.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import analyze, atomic, checkpoint, lab, paths
from ..data import Split, load_mnist
from ..errors import UserError
from ..settings import DEFAULT_MASK_SEED, REFERENCE_PERCENTS, ModelSettings, preset
from ..train import Callback

NAMES = ("global_vs_layer", "width_300_vs_600")
REPORT = "reproduction"  # the stored sections of ``python -m pruning_core report``
CONTROLS = "magnitude_vs_controls"  # the stored runs of ``python -m pruning_core.research.controls``
SHIPPED_SEED = preset("seed").seed  # the shipped ``baseline`` was trained with it (20 epochs)


@dataclass(frozen=True)
class ExperimentSettings:
    """The knobs of one experiment: prune targets, training of each seed's baseline, retraining per step,
    seeds and (width experiment) the hidden sizes compared."""

    percents: tuple[float, ...]
    train_epochs: int
    retrain_epochs: int
    seeds: tuple[int, ...]
    widths: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict:
        """As stored in the results' ``settings`` (lists; ``widths`` only where it applies)."""
        plain = {"percents": list(self.percents), "train_epochs": self.train_epochs,
                 "retrain_epochs": self.retrain_epochs, "seeds": list(self.seeds)}
        return {**plain, "widths": [list(w) for w in self.widths]} if self.widths else plain


@dataclass(frozen=True)
class ExperimentPlan:
    """Both experiments' settings for one mode, passed explicitly to whatever runs them (like ``ReportPlan``)."""

    quick: bool
    global_vs_layer: ExperimentSettings
    width_300_vs_600: ExperimentSettings

    def settings(self, name: str) -> ExperimentSettings:
        if name not in NAMES:
            raise UserError(f"unknown experiment {name!r}; choose one of {', '.join(NAMES)}")
        return getattr(self, name)

    def expected_points(self, name: str) -> int:
        """How many points a run of ``name`` produces (for a progress bar)."""
        s = self.settings(name)
        per_run = len(s.percents) + (1 if name == "width_300_vs_600" else 0)
        return per_run * len(s.seeds) * (2 if name == "global_vs_layer" else len(s.widths))


WIDTHS = ((300, 100), (600, 100))
QUICK = ExperimentPlan(
    quick=True,
    global_vs_layer=ExperimentSettings((50.0, 80.0, 90.0, 95.0, 98.0), 20, 1, (SHIPPED_SEED,)),
    width_300_vs_600=ExperimentSettings((90.0,), 2, 1, (1,), WIDTHS))
FULL = ExperimentPlan(
    quick=False,
    global_vs_layer=ExperimentSettings(REFERENCE_PERCENTS, 20, 1, (SHIPPED_SEED, 1, 2)),
    width_300_vs_600=ExperimentSettings((50.0, 80.0, 90.0, 95.0), 20, 1, (1, 2, 3), WIDTHS))
SCOPES = ("global", "layer")
OnPoint = Callable[[dict], None]
Runner = Callable[[str, ExperimentSettings], list[dict]]  # (experiment, its settings) -> its ``runs``, in order


def _ignore(point: dict) -> None:
    """The ``on_point`` of a caller that does not watch points."""


def plan_for(quick: bool) -> ExperimentPlan:
    return QUICK if quick else FULL


def results_dir() -> Path:
    """Where results are read and written: ``$PRUNE_LAB_EXPERIMENTS`` or the package's assets."""
    return paths.experiments_dir()


def run_experiment(name: str, quick: bool = True, callbacks: Sequence[Callback] = (),
                   should_stop: Callable[[], bool] | None = None, on_point: OnPoint | None = None,
                   plan: ExperimentPlan | None = None, runner: Runner | None = None) -> dict:
    """Run one experiment with ``plan`` (default: the standard quick or full plan); returns its results dict.
    ``on_point(point)`` sees each point as it is made (the dashboard fills its chart live); ``should_stop``
    cancels at the next training batch. ``runner`` runs the experiment's independent runs (default: one after
    another, here, with the three arguments above; ``service.batch.experiment_runs``: as works on an executor)."""
    plan = plan or plan_for(quick)
    s = plan.settings(name)
    runs = (runner or sequential(callbacks, should_stop, on_point or _ignore))(name, s)
    return {"name": name, "quick": plan.quick, "created": time.strftime("%Y-%m-%d %H:%M:%S"),
            "settings": s.to_dict(), "runs": runs}


def run_keys(name: str, s: ExperimentSettings) -> list[tuple]:
    """The experiment's independent runs in their stored order: (seed, scope) or (seed, hidden) each."""
    return [(seed, kind) for seed in s.seeds for kind in (SCOPES if name == "global_vs_layer" else s.widths)]


def sequential(callbacks: Sequence[Callback] = (), should_stop: Callable[[], bool] | None = None,
               on_point: OnPoint = _ignore) -> Runner:
    """The runner that makes every run in this thread, in order (a seed's baseline is trained once, for both
    scopes)."""
    def run(name: str, s: ExperimentSettings) -> list[dict]:
        bases: dict[int, checkpoint.Checkpoint] = {}
        runs = []
        for seed, kind in run_keys(name, s):
            if name == "width_300_vs_600":
                runs.append(width_run(s, kind, seed, callbacks, should_stop, on_point))
                continue
            if seed not in bases:
                bases[seed] = seed_baseline(seed, s.train_epochs, callbacks, should_stop)
            runs.append(scope_run(bases[seed], s, kind, seed, callbacks, should_stop, on_point))
        return runs
    return run


def runs_from_points(points: Sequence[dict], keys: tuple[str, str]) -> list[dict]:
    """Points made so far (each tagged with its run's keys) -> the ``runs`` list of a results dict."""
    runs: dict[tuple, dict] = {}
    for point in points:
        tag = tuple(str(point[k]) for k in keys)
        runs.setdefault(tag, {**{k: point[k] for k in keys}, "points": []})["points"].append(point)
    return list(runs.values())


def seed_baseline(seed: int, epochs: int, callbacks: Sequence[Callback] = (),
                  should_stop: Callable[[], bool] | None = None) -> checkpoint.Checkpoint:
    """The seed-preset baseline for ``seed``: the shipped one for its own seed and recipe, else trained here,
    so seeds vary the initial weights and data order of the whole experiment, not only the retraining."""
    recipe = preset("seed", seed=seed, epochs=epochs)
    if recipe == preset("seed"):
        return checkpoint.load("baseline")
    return lab.train_baseline(recipe, ModelSettings(), "cpu", callbacks, should_stop)


def scope_run(base: checkpoint.Checkpoint, s: ExperimentSettings, scope: str, seed: int,
              callbacks: Sequence[Callback] = (), should_stop: Callable[[], bool] | None = None,
              on_point: OnPoint = _ignore, mask_seed: int = DEFAULT_MASK_SEED) -> dict:
    """One global_vs_layer run: iterative prune -> retrain of ``base`` with ``scope`` over the percents (the
    random scope draws with ``mask_seed``)."""
    run = {"scope": scope, "seed": seed, "baseline_accuracy": base.accuracy, "points": []}
    for ckpt in lab.schedule(base, s.percents, scope, s.retrain_epochs, None, callbacks, should_stop,
                             mask_seed=mask_seed):
        step = ckpt.history[-1]
        point = {"percent": step.percent, "sparsity": step.sparsity,
                 "accuracy_after_prune": step.accuracy_after_prune,
                 "accuracy_after_retrain": step.accuracy_after_retrain}
        run["points"].append(point)
        on_point({"scope": scope, "seed": seed, **point})
    return run


def width_run(s: ExperimentSettings, hidden: Sequence[int], seed: int, callbacks: Sequence[Callback] = (),
              should_stop: Callable[[], bool] | None = None, on_point: OnPoint = _ignore) -> dict:
    """One width_300_vs_600 run: train ``hidden`` with ``seed``, prune it globally over the percents, and
    measure the active neurons before pruning and after each step."""
    test = load_mnist("cpu").test
    hidden = list(hidden)
    recipe = preset("seed", epochs=s.train_epochs, seed=seed)
    model = lab.train_baseline(recipe, ModelSettings(hidden=tuple(hidden)), "cpu", callbacks, should_stop)
    run = {"hidden": hidden, "seed": seed, "baseline_accuracy": model.accuracy, "points": []}
    states = [model, *lab.schedule(model, s.percents, "global", s.retrain_epochs, None, callbacks, should_stop)]
    for ckpt in states:
        means = analyze.class_mean_active(ckpt, test)
        point = {"percent": ckpt.history[-1].percent if ckpt.history else 0.0,
                 "accuracy": ckpt.accuracy, "active_fraction": active_fraction(means, ckpt, test),
                 "active_per_digit": means}
        run["points"].append(point)
        on_point({"hidden": hidden, "seed": seed, **point})
    return run


def active_fraction(means: dict[str, list[float]], ckpt: checkpoint.Checkpoint, split: Split) -> dict[str, float]:
    """Mean fraction of each hidden layer's neurons active per test image, from the per-digit means
    (``analyze.class_mean_active``) weighted by how many images each digit has."""
    counts = analyze.class_counts(split)
    sizes = {"fc1": ckpt.model.fc1.out_features, "fc2": ckpt.model.fc2.out_features}
    return {layer: sum(m * c for m, c in zip(means[layer], counts)) / sum(counts) / sizes[layer]
            for layer in ("fc1", "fc2")}


def save_results(name: str, data: dict) -> Path:
    """Write ``<results_dir>/<name>.json`` atomically; returns the path. Besides the two experiments, the
    reproduction report stores its sections here as ``reproduction`` and the controls (research/controls.py)
    their runs as ``magnitude_vs_controls``, for the Experiments page."""
    if name not in (REPORT, CONTROLS):
        plan_for(data.get("quick", True)).settings(name)
    directory = results_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return atomic.write_json(directory / f"{name}.json", data, indent=1)


def load_results(name: str) -> dict | None:
    """The stored results of ``name``, or None if none were computed yet; UserError if the file is broken."""
    path = results_dir() / f"{name}.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise UserError(f"{path.name} is not readable JSON ({err}); re-run the experiment") from None
    expected = "sections" if name == REPORT else "runs"
    if not isinstance(data, dict) or data.get("name") != name or not isinstance(data.get(expected), (list, dict)):
        raise UserError(f"{path.name} does not hold {name} results; re-run the experiment")
    return data
