"""Incident cases (案卷): intake, the closed-loop workflow, photos, live feed, Open311."""
