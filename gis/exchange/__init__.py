"""Data exchange: import files into layers (with a row-level report) and export layers."""
