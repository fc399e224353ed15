"""The site with one page that holds the database, for the statement timeout test."""
