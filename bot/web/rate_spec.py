"""Rate limits written in the environment as `COUNT/WINDOW`, e.g. `60/30s`, `5/10m`, `100/1h`.

`COUNT` requests may come at once, and the allowance refills evenly over `WINDOW`, so the
long-run rate is COUNT per WINDOW (a token bucket of size COUNT). `off` switches a limit off.
"""

from __future__ import annotations

import re

from bot.web.errors import SettingsError
from bot.web.settings import RateLimit

OFF = "off"
SECONDS_PER_UNIT = {"s": 1.0, "m": 60.0, "h": 3600.0}
SPEC = re.compile(
    r"^\s*(?P<count>\d+)\s*/\s*(?P<amount>\d+(?:\.\d+)?)?\s*(?P<unit>[smh])\s*$", re.IGNORECASE
)
FORMAT_HELP = (
    "нужно COUNT/WINDOW, например 60/30s, 5/10m или 100/1h (COUNT запросов сразу, "
    "восполняются равномерно за WINDOW; единицы s, m, h), или 'off'"
)


def parse_rate_limit(name: str, text: str) -> RateLimit | None:
    """The limit written in variable `name`; None for `off`; `SettingsError` if malformed."""
    value = text.strip()
    if value.lower() == OFF:
        return None
    found = SPEC.match(value)
    if found is None:
        raise SettingsError(f"{name}={text!r}: {FORMAT_HELP}.")
    count = int(found["count"])
    window = float(found["amount"] or 1) * SECONDS_PER_UNIT[found["unit"].lower()]
    if count < 1 or window <= 0:
        raise SettingsError(
            f"{name}={text!r}: COUNT — не меньше 1, WINDOW — больше 0; {FORMAT_HELP}."
        )
    return RateLimit(burst=count, per_second=count / window)
