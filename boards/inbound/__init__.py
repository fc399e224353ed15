"""Reading mail members send: parsing, charsets, quotes and signatures.

parse.parse_mail turns a received message into what the ingest service
(boards.services.inbound) needs. Nothing here touches the database.
"""
