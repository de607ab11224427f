# Prune Lab - the two commands a newcomer needs:  make run  (serve the dashboard)  and  make test.
# Both create .venv on first use and install the pinned requirements into it.

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CLUSTER := $(VENV)/.cluster-installed
# 127.0.0.1 by default: only this computer can open the lab. For a classroom LAN: make run HOST=0.0.0.0
HOST ?= 127.0.0.1
PORT ?= 8501

.PHONY: run test test-fast bench baselines clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	@touch $(STAMP)

# Ray (requirements-cluster.txt) is optional: installed for the tests and for a server that uses it.
$(CLUSTER): $(STAMP) requirements-cluster.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-cluster.txt
	@touch $(CLUSTER)

run: $(STAMP) $(if $(filter ray,$(PRUNE_LAB_EXECUTOR)),$(CLUSTER))
	$(PY) -m ui.serve $(HOST) $(PORT)  # prints the teacher's link, preloads MNIST, checkpoints, workers; streamlit run app.py

test: $(STAMP) $(CLUSTER)
	$(PY) -m pytest -q

# The inner loop: everything except the browser and other slow tests (make test still runs everything).
test-fast: $(STAMP) $(CLUSTER)
	$(PY) -m pytest -q -m "not browser and not slow"

bench: $(STAMP)
	$(PY) -m bench

# Regenerate the shipped baseline checkpoints (see README: "Shipped baselines").
baselines: $(STAMP)
	$(PY) -m pruning_core train --preset seed --out pruning_core/assets/checkpoints/baseline.pt
	$(PY) -m pruning_core train --preset paper --out pruning_core/assets/checkpoints/baseline-paper.pt

clean:
	rm -rf $(VENV) .pytest_cache
