"""The clinic hub: many stations, one clinic record, on PostgreSQL (``schema``: the hub's
tables and the functions stations write through; ``agent``: each station's sync agent;
``kinds``: what is synced and how)."""
