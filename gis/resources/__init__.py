"""Community registers: rosters, counts, co-building units and activities."""
