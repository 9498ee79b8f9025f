"""The clinic's records kept by the station, each store owning its SQL: patients, programs, visits
and billing, panel accounts and sessions."""
