# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Passwords hashed at the lowest cost Argon2 takes, in tests only.

trytond hashes every password it stores with Argon2's default cost (64 MiB,
three passes: tens of milliseconds on purpose), and the tests store some
thousand passwords of their staff and portal users. The hash stays an
Argon2 hash, checked the same way: only its cost parameters change.
"""
import pwdlib.hashers.argon2

from trytond.res.user import PASSWORD_HASH


def install():
    # web_user imported the same PasswordHash: it is changed in place
    cheap = pwdlib.hashers.argon2.Argon2Hasher(
        time_cost=1, memory_cost=8, parallelism=1)
    PASSWORD_HASH.hashers[0] = cheap
    PASSWORD_HASH.current_hasher = cheap
