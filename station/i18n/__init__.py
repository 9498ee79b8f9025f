"""The languages the station speaks and shows, and their gettext catalogs (one for the panel,
the patient display, reports and spoken instructions)."""
