"""Helpers every app uses: era dates, form widgets, optimistic versioning,
the change counter, task-worker locks and spreadsheet writing.

Plain modules with no views or models of their own; import the module you
need (``from members.common import eras``) rather than this package.
"""
