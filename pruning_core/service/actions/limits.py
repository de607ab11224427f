"""The classroom's ranges for the Prune page's settings (the engine accepts more): what the form, a settings link
and a Step / Play schedule accept."""
from __future__ import annotations

PERCENT_RANGE = (0.0, 99.9)  # % of all weights pruned; a schedule's percents lie above the low end
EPOCH_RANGE = (0, 20)        # retraining epochs per step
LR_RANGE = (1e-4, 1.0)       # retraining learning rate
