"""Checkpoints: a model, its masks, its recipe and its pruning history, safe to load from anywhere.

On disk a checkpoint is ``torch.save`` of a dict holding only tensors and primitives, so it is read with
``torch.load(..., weights_only=True)`` - never a general unpickle. Its ``state_dict`` has the plain keys
(``fc1.weight`` ...) with pruned weights exactly 0.0, so any ``nn.Module`` of the same shape can load it.
Names such as ``baseline`` resolve to the checkpoints shipped in the package.

A file is bounded by what it decodes to, not by its size on disk: the zip's declared sizes are checked before
torch reads it (``archive``), every tensor's storage must be exactly what its shape needs, the model's
parameter count is capped before any model is built, and any failure - torch's own included - is one
``UserError`` line.
"""
from __future__ import annotations

import copy
import dataclasses
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from . import archive, atomic, paths
from .errors import UserError
from .masks import Masks
from .models import make_model
from .records import StepRecord, history_from_dicts
from .settings import MNIST_MEAN, MNIST_STD, ModelSettings, TrainSettings, check_float, quote

FORMAT = "prune-lab-checkpoint"
VERSION = 1
MAX_BYTES = 64 * 1024 * 1024  # far above any LeNet-300-100 checkpoint (~1.4 MB); refuses huge uploads early
# What the pickled structure may unpack to: a 1,000-step history of 100-epoch curves pickles to 1.1 MB, MAX_ITEMS
# floats to 1.8 MB (measured with torch.save of such dicts).
MAX_PICKLE_BYTES = 8 * 1024 * 1024
# The largest model a checkpoint may hold: its float32 weights (4 bytes) and bool masks (1 byte) together with
# the largest structure fit in MAX_BYTES, so whatever loads can be saved and read back. 4096,2048 fits;
# 4096,4096 (20 million parameters, a 100 MB file) does not.
MAX_PARAMETERS = (MAX_BYTES - MAX_PICKLE_BYTES) // 5
FLOAT_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)  # what models and metrics compute in
# The format's deepest path is checkpoint -> history -> step -> thresholds -> number: 4 nested containers.
MAX_DEPTH = 4
# Containers, numbers, strings and tensors in all: a 1,000-step history with 100-epoch curves stays below it,
# a padding of millions of entries does not.
MAX_ITEMS = 200_000
MAX_TEXT = 256  # characters of any string (names, presets, scopes)
CONFIG_KEYS = {"arch", "hidden", "dropout", "normalize"}


@dataclass
class Checkpoint:
    """A model with the masks that stay applied to it, the recipe it was trained with, and its history."""

    model: nn.Module
    masks: Masks
    recipe: TrainSettings
    history: list[StepRecord] = field(default_factory=list)  # one record per prune step
    accuracy: float | None = None                      # test accuracy of this exact state
    origin: str = ""                                   # built-in name or file it came from

    @property
    def config(self) -> dict:
        settings = self.model.settings
        return {"arch": settings.arch, "hidden": list(settings.hidden), "dropout": settings.dropout,
                "normalize": {"mean": MNIST_MEAN, "std": MNIST_STD}}

    def copy(self) -> "Checkpoint":
        """An independent copy (the model is deep-copied; masks and step records are immutable values)."""
        return dataclasses.replace(self, model=copy.deepcopy(self.model), history=list(self.history))

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "config": self.config,
            "state_dict": {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()},
            "masks": self.masks.state(),
            "recipe": dataclasses.asdict(self.recipe),
            "history": [step.to_dict() for step in self.history],
            "accuracy": self.accuracy,
        }


def resolve(name_or_path: str) -> Path:
    """A built-in checkpoint name (``baseline``, ``baseline-paper``, ...) or a path -> an existing file."""
    builtin = paths.builtin_checkpoint(name_or_path)
    path = builtin if builtin is not None else paths.expand(name_or_path)
    if not path.is_file():
        hint = f"; built-in names: {', '.join(paths.BUILTIN_CHECKPOINTS)}" if builtin is None else ""
        raise UserError(f"checkpoint {name_or_path!r} not found{hint}")
    return path.resolve()


def save(checkpoint: Checkpoint, path: str | Path) -> Path:
    """Write atomically (temp file in the same directory, then rename): never a half-written checkpoint."""
    target = paths.expand(path)
    if target.is_dir():
        raise UserError(f"output {target} is a directory; give a file name such as {target}/model.pt")
    if not target.parent.is_dir():
        raise UserError(f"output directory {target.parent} does not exist")
    atomic.write_bytes(target, to_bytes(checkpoint))
    return target.resolve()


def load(name_or_path: str, device: torch.device | str = "cpu") -> Checkpoint:
    """Read a checkpoint file (or built-in name) with ``weights_only=True`` and validate everything in it."""
    path = resolve(name_or_path)
    if path.stat().st_size > MAX_BYTES:
        raise UserError(f"{path.name} is larger than {MAX_BYTES // 2**20} MB; not a Prune Lab checkpoint")
    with open(path, "rb") as f:
        return from_bytes(f.read(), device, origin=name_or_path)


def from_bytes(data: bytes, device: torch.device | str = "cpu", origin: str = "upload") -> Checkpoint:
    """Parse checkpoint bytes (a file or an upload). Refuses anything but tensors and primitives."""
    if len(data) > MAX_BYTES:
        raise UserError(f"checkpoint is larger than {MAX_BYTES // 2**20} MB")
    archive.check_unpacked_size(data, MAX_BYTES, MAX_PICKLE_BYTES)
    try:
        with warnings.catch_warnings():  # torch warns about foreign pickle protocols; we refuse them anyway
            warnings.simplefilter("ignore")
            raw = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as err:  # any failure to parse untrusted bytes means "not a checkpoint", never a crash
        raise UserError(f"not a safe Prune Lab checkpoint ({_short_reason(err)})") from None
    try:
        return _from_dict(raw, torch.device(device), origin)
    except UserError:
        raise
    except Exception as err:  # torch itself failing on a tensor we did not foresee: still one line, no crash
        raise UserError(f"checkpoint could not be read ({type(err).__name__}: {_first_line(err)})") from None


def _first_line(err: Exception) -> str:
    return (str(err).strip().splitlines() or [""])[0][:160]


def _short_reason(err: Exception) -> str:
    """torch's messages run to paragraphs; a student needs the gist."""
    text = str(err)
    if "Unsupported global" in text or "weights_only" in text.lower():
        return "it contains Python objects, which are never unpickled"
    if "zip archive" in text or "zip" in text.lower():
        return "not a torch.save file"
    return f"unreadable: {type(err).__name__}"


def to_bytes(checkpoint: Checkpoint) -> bytes:
    """The checkpoint file's bytes (what ``save`` writes): for downloads."""
    buffer = io.BytesIO()
    torch.save(checkpoint.to_dict(), buffer)
    return buffer.getvalue()


def check_plain(raw: object) -> None:
    """Refuse, before anything reads it, a structure deeper or larger than the format allows, or holding
    anything but dicts, lists, strings, numbers, None and dense float/bool tensors. Iterative on purpose:
    a 5,000-deep nesting must be a UserError here, not a RecursionError later."""
    pending, items = [(raw, 0)], 0
    while pending:
        value, depth = pending.pop()
        items += 1
        if items > MAX_ITEMS:
            raise UserError(f"checkpoint holds more than {MAX_ITEMS:,} entries; not a Prune Lab checkpoint")
        if isinstance(value, (dict, list, tuple)):
            if depth >= MAX_DEPTH:
                raise UserError(f"checkpoint is nested deeper than its format ({MAX_DEPTH} levels)")
            if isinstance(value, dict):
                if not all(isinstance(key, str) and len(key) <= MAX_TEXT for key in value):
                    raise UserError("checkpoint has a dictionary key that is not a short string")
                value = value.values()
            pending.extend((child, depth + 1) for child in value)
        elif isinstance(value, torch.Tensor):
            if value.layout != torch.strided or value.is_nested:
                raise UserError(f"checkpoint holds a {value.layout} tensor; only dense tensors are allowed")
            if value.dtype not in (*FLOAT_DTYPES, torch.bool):
                raise UserError(f"checkpoint holds a {value.dtype} tensor; only float and bool tensors are allowed "
                                f"({', '.join(str(dtype) for dtype in FLOAT_DTYPES)}, torch.bool)")
            _check_storage(value)
        elif isinstance(value, str):
            if len(value) > MAX_TEXT:
                raise UserError(f"checkpoint holds a string of {len(value):,} characters")
        elif value is not None and not isinstance(value, (int, float)):
            raise UserError(f"checkpoint holds a {type(value).__name__}; only plain data and tensors are allowed")


def _check_storage(tensor: torch.Tensor) -> None:
    """A tensor must own exactly the bytes its shape needs: a few valid-shaped numbers can otherwise be a view
    into a storage of a gigabyte (kept alive with the model), or a zero-stride view of a single number."""
    needed = tensor.numel() * tensor.element_size()
    storage = tensor.untyped_storage().nbytes()
    if storage != needed or tensor.storage_offset() != 0 or not tensor.is_contiguous():
        raise UserError(f"checkpoint holds a tensor of shape {list(tensor.shape)} on {storage:,} bytes of storage "
                        f"laid out differently from the {needed:,} its shape needs")


def parameter_count(settings: ModelSettings) -> int:
    """Parameters of the model ``settings`` describes, counted on torch's meta device: shapes, no memory."""
    with torch.device("meta"):
        return sum(p.numel() for p in make_model(settings).parameters())


def _from_dict(raw: object, device: torch.device, origin: str) -> Checkpoint:
    check_plain(raw)
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise UserError("not a Prune Lab checkpoint (missing format marker)")
    if raw.get("version") != VERSION:
        raise UserError(f"unsupported checkpoint version {quote(raw.get('version'))} (this Prune Lab reads {VERSION})")
    try:
        config, state, mask_state, recipe = raw["config"], raw["state_dict"], raw["masks"], raw["recipe"]
    except KeyError as err:
        raise UserError(f"checkpoint is missing the field {err}") from None
    settings = _model_settings(config)
    parameters = parameter_count(settings)
    if parameters > MAX_PARAMETERS:
        raise UserError(f"checkpoint's model ({settings.arch}, hidden sizes {','.join(map(str, settings.hidden))}) "
                        f"has {parameters:,} parameters; at most {MAX_PARAMETERS:,} fit in a "
                        f"{MAX_BYTES // 2**20} MB checkpoint")
    model = make_model(settings)
    if not isinstance(recipe, dict):
        raise UserError("checkpoint's recipe must be a dictionary")
    try:
        recipe = TrainSettings(**recipe)
    except TypeError:
        raise UserError(f"checkpoint's recipe has unknown fields {quote(sorted(recipe))}") from None
    history = history_from_dicts(raw.get("history") or [])
    accuracy = raw.get("accuracy")
    if accuracy is not None:
        check_float("checkpoint accuracy", accuracy, 0.0, 1.0)
    if not isinstance(state, dict) or not isinstance(mask_state, dict):
        raise UserError("checkpoint's state_dict and masks must be dictionaries of tensors")
    expected = model.state_dict()
    if sorted(state) != sorted(expected):
        raise UserError(f"checkpoint has tensors {quote(sorted(state))}, expected {sorted(expected)}")
    for key, tensor in state.items():
        if not isinstance(tensor, torch.Tensor) or tensor.shape != expected[key].shape or not tensor.is_floating_point():
            raise UserError(f"checkpoint tensor {key!r} has the wrong type or shape")
        if not torch.isfinite(tensor).all():
            raise UserError(f"checkpoint tensor {key!r} holds NaN or infinite values")
    model.load_state_dict(state)
    masks = Masks(mask_state)
    masks.check_fits(model)
    params = dict(model.named_parameters())
    if any(params[n].detach()[~m].abs().sum() > 0 for n, m in masks.items()):
        raise UserError("checkpoint has nonzero weights where its masks say pruned")
    layers = set(masks.sizes())
    if any(set(step.thresholds) != layers or set(step.nonzero) != layers for step in history):
        raise UserError(f"checkpoint's history names other layers than its model's {sorted(layers)}")
    return Checkpoint(model=model.to(device), masks=masks.to(device), recipe=recipe, history=history,
                      accuracy=accuracy, origin=origin)


def _model_settings(config: object) -> ModelSettings:
    """The model described by the checkpoint's ``config`` (the normalization must be the one we train with)."""
    if not isinstance(config, dict) or not set(config) <= CONFIG_KEYS or not isinstance(config.get("hidden"), list):
        raise UserError(f"checkpoint's config must hold {', '.join(sorted(CONFIG_KEYS))} (hidden as a list)")
    if config.get("normalize", {"mean": MNIST_MEAN, "std": MNIST_STD}) != {"mean": MNIST_MEAN, "std": MNIST_STD}:
        raise UserError("checkpoint was trained on differently normalized images than Prune Lab uses")
    return ModelSettings(hidden=tuple(config["hidden"]), arch=config.get("arch", "lenet-300-100"),
                         dropout=config.get("dropout", 0.0))
