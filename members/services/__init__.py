"""Every write to member data, one module per concern.

accounts (people, roles, invitations), applications (joining),
organisations (membership status and contact details), imports (the
member list, planned by members.csv_io) and mail (what the mails link to).
Import the module: ``from members.services import accounts``.
"""
