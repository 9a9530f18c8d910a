"""Text that has broken other systems: SQL, script and template injection, NUL bytes."""

from __future__ import annotations

NASTY_TEXT = [
    "' OR 1=1 --",
    "'); DROP TABLE tickets; --",
    '" UNION SELECT password_hash FROM operators --',
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "{{ 7*7 }}",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    "%00",
    "\x00",
    "\u202eтекст наоборот",
]
