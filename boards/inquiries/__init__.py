"""照会 (inquiries): the rules, reads and spreadsheets beside the board's
models (boards.models.inquiries), services (boards.services.inquiries) and
views (boards.views.inquiries)."""
