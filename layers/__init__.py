"""The layer registry: one declarative spec per map layer, and the SQL built from it."""
