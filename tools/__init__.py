# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Set-up, run and test tooling of the CRM suite (not a Tryton module)."""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent


class SetupError(Exception):
    "A set-up problem explained in one line, with its fix"

    def __init__(self, problem, fix):
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __str__(self):
        return f"{self.problem} -> fix: {self.fix}"
