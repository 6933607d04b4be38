"""Importing a village's household register from Excel or CSV: read the sheet
(sheet.py), check every row against the database's facts (validate.py, pure), then write
the whole file in one transaction through the page-write path (run.py)."""
