"""The five-type community scorecard (五型社区)."""
