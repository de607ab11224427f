"""``python -m pruning_core``: train, prune, schedule, evaluate and inspect from the command line.

Every argument is validated before any work starts, so bad input costs nothing and writes nothing: it gets a
one-line ``prune-lab: error: ...`` on stderr and exit code 2. Long work draws a progress bar on stderr;
``--json`` prints exactly one JSON object on stdout.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
from pathlib import Path

from . import analyze, checkpoint, cpus, lab
from .cli_args import (EXIT_USAGE, Parser, count_arg, counts_arg, fraction_arg, hidden_arg, lr_arg, one_line,
                       out_dir, out_file, percent_arg, percents_arg, scopes_arg, text_of)
from .research import experiments
from .service import executors
from .service.batch import fanout, sweep
from .service.batch.experiment_runs import ExecutorRunner
from .data import load_mnist, resolve_device
from .errors import UserError
from .progress import ProgressBar
from .settings import (ARCHITECTURES, DEFAULT_MASK_SEED, PRESETS, PRUNE_SCOPES, REFERENCE_PERCENTS, ModelSettings,
                       PruneSettings, preset)

def build_parser() -> Parser:
    parser = Parser(prog="python -m pruning_core", description=__doc__.splitlines()[0])
    common = Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    common.add_argument("--device", default="auto", help="auto (cuda if present, else cpu), cpu or cuda")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    p = sub.add_parser("train", parents=[common], help="train a dense LeNet-300-100")
    p.add_argument("--preset", choices=sorted(PRESETS), default="seed")
    p.add_argument("--epochs", type=count_arg)
    p.add_argument("--hidden", type=hidden_arg, default=ModelSettings(), help="LeNet-300-100 widths, e.g. 600,100")
    p.add_argument("--arch", choices=ARCHITECTURES, default="lenet-300-100")
    p.add_argument("--dropout", type=fraction_arg, default=0.0, help="dropout on hidden outputs (LeNet-300-100)")
    p.add_argument("--seed", type=lambda t: count_arg(t, 0, 2**63 - 1))
    p.add_argument("--weight-decay", type=fraction_arg, help="L2 regularisation (default: the preset's)")
    p.add_argument("--l1", type=fraction_arg, help="L1 regularisation of the weight matrices (default 0)")
    p.add_argument("--out", type=out_file, required=True)

    p = sub.add_parser("prune", parents=[common], help="prune to a cumulative percent, then retrain")
    p.add_argument("--checkpoint", required=True, help="a file or a built-in name (baseline, baseline-paper)")
    p.add_argument("--percent", type=percent_arg, required=True, help="after this step P %% of weights are 0")
    add_scope(p)
    p.add_argument("--retrain-epochs", type=count_arg, default=1, help="0 prunes without retraining")
    p.add_argument("--lr", type=lr_arg, help="retraining lr (default: 1/10 of the training recipe's)")
    p.add_argument("--out", type=out_file, required=True)

    p = sub.add_parser("schedule", parents=[common], help="iterative prune -> retrain over a list of percents")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--percents", type=percents_arg, default=list(REFERENCE_PERCENTS))
    add_scope(p)
    p.add_argument("--retrain-epochs", type=count_arg, default=1)
    p.add_argument("--lr", type=lr_arg)
    p.add_argument("--out-dir", type=out_dir, required=True)

    p = sub.add_parser("sweep", parents=[common], help="independent prune + retrain points, on an executor")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--percents", type=percents_arg, required=True, help="e.g. 50,90")
    p.add_argument("--scopes", type=scopes_arg, default=["global"], help="e.g. global,random,largest")
    p.add_argument("--seeds", type=counts_arg, default=[],
                   help="retraining seeds, also the random scope's mask seeds (default: the recipe's)")
    p.add_argument("--widths", type=counts_arg, default=[], help="first hidden layer widths (trains baselines)")
    p.add_argument("--retrain-epochs", type=count_arg, default=1)
    p.add_argument("--lr", type=lr_arg)
    add_executor(p, "its points")

    p = sub.add_parser("evaluate", parents=[common], help="test accuracy and sparsity of a checkpoint")
    p.add_argument("--checkpoint", required=True)

    p = sub.add_parser("inspect", parents=[common], help="one test image through a checkpoint")
    p.add_argument("--checkpoint", required=True)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--test-index", type=lambda t: count_arg(t, 0, 9999))
    which.add_argument("--digit", type=lambda t: count_arg(t, 0, 9))
    p.add_argument("--index", type=lambda t: count_arg(t, 0, 9999), default=0, help="k-th image of --digit")
    p = sub.add_parser("experiments", parents=[common],
                       help="precompute the dashboard's Experiments page (global vs layer, 300 vs 600)")
    p.add_argument("--name", choices=experiments.NAMES, action="append",
                   help="one experiment (repeatable; default: all)")
    p.add_argument("--quick", action="store_true", help="one seed, few points (about a minute)")
    add_executor(p, "its runs")
    p = sub.add_parser("report", parents=[common], help="regenerate docs/reproduction.md from real runs")
    p.add_argument("--quick", action="store_true", help="a tiny smoke version (does not ship checkpoints)")
    p.add_argument("--out", type=out_file, default=Path("docs/reproduction.md"))
    p.add_argument("--render-only", action="store_true", help="re-write the report from its stored results")
    add_executor(p, "the experiments' runs")
    return parser


def add_scope(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scope", choices=PRUNE_SCOPES, default="global",
                   help="global (magnitude), layer, std, sensitivity; controls: random, largest (|w| first)")
    p.add_argument("--mask-seed", type=lambda t: count_arg(t, 0, 2**63 - 1), default=DEFAULT_MASK_SEED,
                   help="the random scope's seed: one seed, one mask (default %(default)s)")


def add_executor(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--executor", choices=executors.NAMES,
                   help=f"where {what} run, one thread each (default: $PRUNE_LAB_EXECUTOR or local)")


def run_report(args: argparse.Namespace, bar: ProgressBar) -> dict:
    from .research import report  # heavy (plotly, all studies): only for this command
    runner = experiment_runner(args)
    try:
        written = report.main(args.quick, args.out, ship=not args.quick, render_only=args.render_only,
                              runner=runner)
    finally:
        runner.close()
    return {"report": str(written.resolve()), "executor": runner.executor.name if runner.executor else None}


def run_experiments(args: argparse.Namespace, bar: ProgressBar) -> dict:
    saved = {}
    runner = experiment_runner(args)
    try:
        for name in args.name or experiments.NAMES:
            print(f"experiment {name}:", file=sys.stderr, flush=True)
            results = experiments.run_experiment(name, args.quick, runner=runner)
            saved[name] = str(experiments.save_results(name, results))
    finally:
        runner.close()
    return {"executor": runner.executor.name if runner.executor else None, "saved": saved}


def experiment_runner(args: argparse.Namespace) -> ExecutorRunner:
    """The experiments' independent runs as works on ``--executor`` (on CPUs, as they always ran), a
    progress line on stderr."""
    return ExecutorRunner(args.executor, cpus.AVAILABLE, on_progress=fanout.ProgressLine(sys.stderr))


def run_train(args: argparse.Namespace, bar: ProgressBar) -> dict:
    recipe = preset(args.preset, epochs=args.epochs, seed=args.seed, weight_decay=args.weight_decay, l1=args.l1)
    model_settings = dataclasses.replace(args.hidden, arch=args.arch, dropout=args.dropout)
    trained = lab.train_baseline(recipe, model_settings, args.device, callbacks=[bar])
    saved = checkpoint.save(trained, args.out)
    return {"checkpoint": str(saved), **lab.summary(trained, trained.accuracy)}


def run_prune(args: argparse.Namespace, bar: ProgressBar) -> dict:
    start = checkpoint.load(args.checkpoint, resolve_device(args.device))
    settings = PruneSettings(args.percent, args.scope, mask_seed=args.mask_seed)
    result = lab.prune_step(start, settings, args.retrain_epochs, args.lr, callbacks=[bar])
    saved = checkpoint.save(result, args.out)
    step = result.history[-1]
    keys = ("threshold", "thresholds", "quality", "accuracy_before", "accuracy_after_prune", "accuracy_after_retrain")
    seed = {"mask_seed": args.mask_seed} if args.scope == "random" else {}
    return {"checkpoint": str(saved), "source": str(checkpoint.resolve(args.checkpoint)), "scope": args.scope,
            **seed, **lab.summary(result, result.accuracy), **{k: getattr(step, k) for k in keys}}


def run_schedule(args: argparse.Namespace, bar: ProgressBar) -> dict:
    start = checkpoint.load(args.checkpoint, resolve_device(args.device))
    steps = lab.schedule(start, args.percents, args.scope, args.retrain_epochs, args.lr, callbacks=[bar],
                         mask_seed=args.mask_seed)
    args.out_dir.mkdir(exist_ok=True)  # only once the schedule is known to be valid
    final = start
    for final in steps:
        step = final.history[-1]
        checkpoint.save(final, args.out_dir / f"step-{step.step:02d}-p{step.percent:g}.pt")
    rows = lab.step_table(final.history[len(start.history):])
    with open(args.out_dir / "table.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return {"out_dir": str(args.out_dir.resolve()), "steps": rows}


def run_sweep(args: argparse.Namespace, bar: ProgressBar) -> dict:
    if resolve_device(args.device).type != "cpu":
        raise UserError("sweep runs on CPUs (one thread per point); use --device cpu")
    start = checkpoint.load(args.checkpoint)
    points = sweep.plan(start, args.percents, args.scopes, args.seeds, args.widths, args.retrain_epochs, args.lr)
    executor = executors.create(args.executor, slots=cpus.AVAILABLE)
    try:
        results = sweep.run(checkpoint.resolve(args.checkpoint).read_bytes(), points, executor,
                            args.retrain_epochs, args.lr, on_progress=fanout.ProgressLine(sys.stderr))
    finally:
        executor.close()
    return {"executor": executor.name, "slots": executor.slots, "checkpoint": str(checkpoint.resolve(args.checkpoint)),
            "retrain_epochs": args.retrain_epochs, "results": results}


def run_evaluate(args: argparse.Namespace, bar: ProgressBar) -> dict:
    loaded = checkpoint.load(args.checkpoint, resolve_device(args.device))
    return {"checkpoint": str(checkpoint.resolve(args.checkpoint)), **lab.summary(loaded)}


def run_inspect(args: argparse.Namespace, bar: ProgressBar) -> dict:
    loaded = checkpoint.load(args.checkpoint, resolve_device(args.device))
    test = load_mnist(resolve_device(args.device)).test
    index = analyze.test_index(test, args.digit, args.index if args.digit is not None else args.test_index)
    seen = analyze.inspect_pixels(loaded, test.pixels[index], bias_free=True)
    return {"test_index": index, "label": int(test.labels[index]), "prediction": seen["prediction"],
            "nonzero_pixels": seen["nonzero_pixels"], "active": seen["active"],
            "active_bias_free": seen["active_bias_free"],
            "probabilities": [round(float(p), 6) for p in seen["probabilities"]]}


COMMANDS = {"train": run_train, "prune": run_prune, "schedule": run_schedule, "evaluate": run_evaluate,
            "inspect": run_inspect, "experiments": run_experiments, "report": run_report, "sweep": run_sweep}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        resolve_device(args.device)
        result = COMMANDS[args.command](args, ProgressBar(sys.stderr))
    except UserError as err:
        print(f"prune-lab: error: {one_line(str(err))}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:  # a disk filled up, a directory vanished or turned read-only during the work
        where = f" {text_of(Path(err.filename))}" if err.filename else ""
        print(f"prune-lab: error: cannot read or write{where}: {one_line(err.strerror or str(err))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("prune-lab: interrupted; nothing was saved for the unfinished step", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(result, default=float))
    else:
        print(format_human(result))
    return 0


def format_human(result: dict) -> str:
    if "steps" in result:
        lines = [f"{'%':>6} {'threshold':>10} {'after prune':>12} {'after retrain':>14} {'nonzero':>9}"]
        for row in result["steps"]:
            threshold = row["threshold"] if row["threshold"] is not None else float("nan")
            lines.append(f"{row['percent']:6g} {threshold:10.5f} {row['accuracy_after_prune']:12.4f} "
                         f"{row['accuracy_after_retrain']:14.4f} {row['nonzero']:9d}")
        return "\n".join(lines + [f"saved in {result['out_dir']}"])
    return "\n".join(f"{key}: {json.dumps(value, default=float)}" for key, value in result.items())
