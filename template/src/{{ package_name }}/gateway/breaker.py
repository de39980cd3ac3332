"""Circuit breakers: one per target, so a dead provider costs nothing while its breaker is open.

closed     calls flow; ``failure_threshold`` consecutive failures open the breaker
open       calls are refused at once (the gateway goes to the next target) for ``reset_s``
half_open  one trial call goes through: success closes the breaker, failure opens it again

Only retryable failures count (timeouts, 429, 5xx): a refused request says nothing about the
provider's health. ``STATE_VALUES`` maps states to numbers for a metrics gauge; ``on_change``
hears every state the breaker is seen in (the gateway feeds it to ``metrics``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

State = Literal["closed", "open", "half_open"]
STATE_VALUES: dict[State, int] = {"closed": 0, "half_open": 1, "open": 2}


class CircuitBreaker:
    def __init__(
        self,
        failure_threshold: int,
        reset_s: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[State], None] | None = None,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_s = reset_s
        self._clock = clock
        self._on_change = on_change
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self._reported: State | None = None
        self._report()

    def _report(self) -> None:
        state = self.state
        if state != self._reported and self._on_change is not None:
            self._on_change(state)
        self._reported = state

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_s:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        """May a call go through now? In half-open, only the first caller's trial may."""
        self._report()
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def release(self) -> None:
        """A trial call ended with no verdict (cancelled): let the next caller try."""
        self._trial_running = False

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False
        self._report()

    def record_failure(self) -> None:
        self._failures += 1
        if self._trial_running or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()
        self._trial_running = False
        self._report()
