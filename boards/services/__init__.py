"""Every write to the board, one module per concern.

Views, admin actions, management commands and tests all call these
functions; reads that are more than a QuerySet method are in
boards.selectors, and mail delivery in boards.mail.
"""
