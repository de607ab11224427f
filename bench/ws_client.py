"""A light Streamlit client: one websocket speaking Streamlit's own protobuf messages, no browser.

The load test's browser students run 20 Chromium tabs on the same 2 CPUs as the server, so their page
response times measure the tabs as much as the server. This client does what a tab does on the wire - asks for
a script run, sends a button press as a widget trigger, answers ``st.fragment(run_every=...)`` auto-reruns -
and times each request to its ``script_finished``: the server's own response time, at a tiny client cost.
"""
from __future__ import annotations

import asyncio
import re
import time

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

# The job every student runs, by the Prune page's own settings link (the page's defaults may change).
JOB_LINK = "percent=90&epochs=1&scope=global"
POLL_TIMEOUT = 30.0  # an auto-rerun the server dropped (its fragment is gone) is never answered


COOKIE = "prune_lab_key"  # ui/session.py's cookie (benchmarks do not import the dashboard's glue)
# The secret in the script that plants the cookie ("mine": its name before the cookie was guarded, so that
# python -m bench.ws_attacks runs on an older tree for a before/after figure).
PLANTED = re.compile(r'(?:issued|mine) = "([A-Za-z0-9_-]{64})"')


class Client:
    """One tab: ``secret`` is the cookie it connects with (None: a browser's first visit, no cookie)."""

    def __init__(self, query: str = "", secret: str | None = None, page: str = "") -> None:
        self.query = query  # the page URL's query, as a browser sends it with every run
        self.page = page  # the page's URL path ("class"); "" opens the default page
        self.secret = secret
        self.issued = ""  # the secret the server planted in this tab's cookie, if it planted one
        self.exceptions: list[str] = []  # pages that crashed: the exception's type and message
        self.alerts: list[str] = []  # st.error / st.warning texts the last full run showed
        self.buttons: dict[str, str] = {}   # label -> widget id
        self.metrics: dict[str, str] = {}   # label -> shown value
        self.fragments: dict[str, float] = {}  # auto-rerun fragment id -> interval (s)
        self.page_hash = ""
        self.progress = ""  # the job panel's progress text: "<title>: waiting, number 3 in line" or "... 40 %"
        self._finished = asyncio.Event()
        self._socket = None
        self._reader: asyncio.Task | None = None

    async def connect(self, url: str) -> None:
        ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        cookie = {"Cookie": f"{COOKIE}={self.secret}"} if self.secret else None
        self._socket = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None,
                                                additional_headers=cookie)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
        if self._socket:
            await self._socket.close()

    async def rerun(self, press: str | None = None, fragment_id: str = "", timeout: float = 120) -> float:
        """Request a run (pressing button ``press``, or one fragment); seconds until the server finished it."""
        message = BackMsg()
        state = message.rerun_script
        state.page_script_hash = self.page_hash
        state.page_name = "" if self.page_hash else self.page
        state.query_string = self.query
        if press is not None:
            widget = state.widget_states.widgets.add()
            widget.id, widget.trigger_value = self.buttons[press], True
        if fragment_id:
            state.fragment_id, state.is_auto_rerun = fragment_id, True
        else:  # a full run draws the page anew: what it shows replaces what the last one showed
            self.alerts.clear()
            self.progress = ""
        self._finished.clear()
        started = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        await asyncio.wait_for(self._finished.wait(), timeout)
        return time.perf_counter() - started

    async def _read(self) -> None:
        async for raw in self._socket:
            message = ForwardMsg()
            message.ParseFromString(raw)
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                self._element(message.delta.new_element)
            elif kind == "new_session" and not message.metadata.run.fragment_ids:
                # A full run starts: as the browser does, forget the auto-reruns of the previous run; this run
                # registers the ones it still has. Polling a fragment the run removed (the job panel after
                # its job ended) is silently dropped by the server: no script_finished would ever come.
                self.fragments.clear()
            elif kind == "navigation" and message.navigation.page_script_hash:
                self.page_hash = message.navigation.page_script_hash
            elif kind == "auto_rerun":
                self.fragments[message.auto_rerun.fragment_id] = message.auto_rerun.interval
            elif kind == "stop_auto_rerun":
                for fragment in message.stop_auto_rerun.fragment_ids:
                    self.fragments.pop(fragment, None)
            elif kind == "script_finished":
                self._finished.set()

    def _element(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind == "button":
            self.buttons[element.button.label] = element.button.id
        elif kind == "metric":
            self.metrics[element.metric.label] = element.metric.body
        elif kind == "progress":
            self.progress = element.progress.text
        elif kind == "exception":
            self.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "alert" and element.alert.format in (Alert.ERROR, Alert.WARNING):
            self.alerts.append(element.alert.body)
        elif kind == "html" and (planted := PLANTED.search(element.html.body)):
            self.issued = planted.group(1)


async def student(url: str, everyone_here: asyncio.Barrier, deadline: float, result: dict,
                  query: str = JOB_LINK, secret: str | None = None) -> None:
    """One light student: open the Prune page (by the settings link ``query``: 90 %, 1 retraining epoch unless
    it says otherwise; with the cookie ``secret`` if given), press "Prune + retrain" together with the others,
    then answer the page's polls until the model card shows 90 % pruned. Every request's time to
    ``script_finished`` is a sample, the polls included; a refusal the page shows ends the student (``error``)."""
    client = Client(query, secret)
    samples: list[tuple[str, float]] = result.setdefault("samples", [])
    try:
        try:
            await client.connect(url)
            samples.append(("open Prune page", await client.rerun()))
        finally:  # arrived, or failed to open (recorded below): the others must not wait for this one forever
            await everyone_here.wait()
        result["pressed_at"] = time.time()
        samples.append(("press Run", await client.rerun(press="Prune + retrain")))
        result["pressed"] = True
        if not client.progress and client.alerts:  # no job panel: the press was refused, the page says why
            raise RuntimeError(f"refused: {client.alerts[-1]}")
        while client.metrics.get("Weights pruned") != "90.0 %":
            if time.time() > deadline:
                raise TimeoutError("job did not finish before the load test's deadline")
            if "started_at" not in result and client.progress and "waiting" not in client.progress:
                result["started_at"] = time.time()  # the panel left "waiting": the job runs
            for fragment in list(client.fragments):
                try:
                    samples.append(("poll", await client.rerun(fragment_id=fragment, timeout=POLL_TIMEOUT)))
                except TimeoutError:  # the fragment vanished in a run that crossed this poll: as a browser, go on
                    result["dropped_polls"] = result.get("dropped_polls", 0) + 1
            await asyncio.sleep(min(client.fragments.values(), default=0.5))
        result["done"] = time.time()
    except Exception as err:  # one student's failure is a measured outcome, not the end of the test
        result["error"] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    finally:
        await client.close()
