"""Spatial queries and planning analysis."""
