"""A guard on the console's log-in form against password guessing.

Each attempt spends a token of its login's bucket at its client address and of the address's
own bucket (see `ratelimit.py`) before the password is checked, so parallel guesses cannot all
slip through while the first ones are being verified. The login's bucket is per address: a
guesser elsewhere cannot lock an operator out of their own desk by typing their login (with
one bucket per login, one address took every token it got back, and the right password was
refused all day). A successful log-in gives both back and starts its login afresh there, so
only wrong passwords count. Past either limit the form is refused, the right password too,
until the bucket refills. The buckets live in this process's memory, as the public API's do:
each `serve` process counts on its own, and a restart forgets.
"""

from __future__ import annotations

import logging
import math

from bot.web.errors import TooManyLoginAttemptsError
from bot.web.ratelimit import RateLimiter
from bot.web.settings import RateLimit

log = logging.getLogger(__name__)


def login_key(login: str) -> str:
    """A typed login as one account, however it is capitalised."""
    return login.strip().lower()


def _bucket(login: str, address: str) -> str:
    """The bucket of a login tried from an address."""
    return f"{login_key(login)}\x00{address}"


class LoginGuard:
    """Counts failed log-ins per login at a client address, and per client address."""

    def __init__(self, *, per_login: RateLimit | None, per_address: RateLimit | None) -> None:
        self._logins = RateLimiter(per_login)
        self._addresses = RateLimiter(per_address)

    def admit(self, login: str, address: str) -> None:
        """Let an attempt through, counting it as failed until `succeeded` says otherwise;
        `TooManyLoginAttemptsError` past either limit."""
        key = _bucket(login, address)
        login_wait = self._logins.take(key)
        address_wait = self._addresses.take(address)
        if login_wait == 0.0 and address_wait == 0.0:
            return
        # Refused: the limiter that allowed it must not count an attempt that never ran.
        if login_wait == 0.0:
            self._logins.give_back(key)
        if address_wait == 0.0:
            self._addresses.give_back(address)
        raise TooManyLoginAttemptsError(max(login_wait, address_wait))

    def failed(self, login: str, address: str) -> None:
        """A wrong password (already counted by `admit`): log it when it closes the form."""
        key = _bucket(login, address)
        for what, limiter, bucket in (
            ("login", self._logins, key),
            ("address", self._addresses, address),
        ):
            wait = limiter.wait(bucket)
            if wait > 0:
                log.warning(
                    "console log-in locked by its %s after wrong passwords: login %r from %s; "
                    "next attempt allowed in %d s",
                    what,
                    login_key(login),
                    address,
                    math.ceil(wait),
                )

    def succeeded(self, login: str, address: str) -> None:
        """The right password: the login starts afresh and the address gets its token back."""
        self._logins.forget(_bucket(login, address))
        self._addresses.give_back(address)
