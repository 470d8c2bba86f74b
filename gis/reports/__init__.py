"""Map reports (folium, self-contained HTML) and the monthly township summary."""
