"""Small shared helpers for the tests: tiny datasets and hand-made models for the engine tests, and the few
steps every dashboard (AppTest) test takes - prune, wait for the job, read the metrics and the model card."""
from __future__ import annotations

import time

import torch
from streamlit.testing.v1 import AppTest

import ui_state
from pruning_core.service.jobs import Job
from pruning_core.service.records import JobSnapshot

from pruning_core.data import Mnist, Split, load_mnist
from pruning_core.masks import Masks
from pruning_core.models import LeNet300100
from pruning_core.settings import ModelSettings


def subset(split: Split, n: int) -> Split:
    return Split(images=split.images[:n], labels=split.labels[:n], pixels=split.pixels[:n])


def tiny_mnist(train: int = 512, test: int = 256) -> Mnist:
    """The first few real MNIST images: enough to exercise training without the cost of an epoch."""
    full = load_mnist("cpu")
    return Mnist(train=subset(full.train, train), test=subset(full.test, test))


def random_model(hidden: tuple[int, int] = (300, 100), seed: int = 0) -> LeNet300100:
    torch.manual_seed(seed)
    return LeNet300100(ModelSettings(hidden=hidden))


def weights_of(model: LeNet300100) -> dict[str, torch.Tensor]:
    params = dict(model.named_parameters())
    return {name: params[name] for name in Masks.dense(model)}


def wait_until(condition, what: str, deadline_s: float = 120) -> None:
    """Poll ``condition`` until it holds; the deadline only guards against hanging (nothing asserts speed)."""
    deadline = time.time() + deadline_s
    while not condition():
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def wait_finished(job: Job) -> JobSnapshot:
    """Wait until a queue's ``job`` has finished; its final snapshot."""
    wait_until(lambda: job.status.finished, f"{job.id} to finish")
    return job.snapshot()


def wait_for_job(at: AppTest, timeout: float = 90) -> JobSnapshot:
    """Wait until the session's job has finished (the page collects it on its next run)."""
    if "job_id" not in at.session_state:  # it ended, and was collected, within the run that started it
        return at.session_state["collected"]
    job = ui_state.job_queue().get(at.session_state["job_id"])
    deadline = time.time() + timeout
    while job.status.active:
        assert time.time() < deadline, "job did not finish"
        time.sleep(0.05)
    return job.snapshot()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def card(at: AppTest) -> dict[str, str]:
    """The sidebar model card's metrics."""
    return {m.label: m.value for m in at.sidebar.get("metric")}


def prune(at: AppTest, percent: float) -> JobSnapshot:
    """Press Prune + retrain at ``percent`` with 0 retraining epochs and wait for the result."""
    at.slider(key="percent").set_value(percent)
    at.number_input(key="epochs").set_value(0)
    at.button[0].click().run()
    snap = wait_for_job(at)
    at.run()
    return snap


# Browser (Playwright) helpers. They read the page as it is at one instant and never auto-wait on an element
# that a Streamlit rerun may remove: ``locator.first.inner_text()`` after a ``count()`` waits up to 30 s for an
# element that vanished in between (a progress bar when its job ends), which is a Playwright TimeoutError.
def texts_now(locator) -> list[str]:
    """The inner texts of every element ``locator`` matches right now ([] if none); no waiting."""
    return locator.all_inner_texts()


def metric_value(page, label: str) -> str:
    """The value of the first metric whose box contains ``label``, or "" if there is none right now."""
    values = texts_now(page.locator('[data-testid="stMetric"]', has_text=label)
                       .locator('[data-testid="stMetricValue"]'))
    return values[0] if values else ""


def wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until the app's script is not running (Streamlit marks it on the app's root element)."""
    page.wait_for_function("() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState"
                           " === 'notRunning'", timeout=timeout_ms)


def wait_painted(page) -> None:
    """Wait for the browser to lay out and paint what is on the page now (two animation frames)."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
