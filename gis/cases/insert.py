"""The write at the heart of intake: one statement, one round trip.

It checks the category, locates the point (``spatial_lookup``), finds the grid's worker,
looks for duplicate suggestions, takes the day's next number, inserts the case and its
first history row, queues the NOTIFY and (``audited``) appends the audit row — so on its
own (autocommit) it is the whole report, atomically. Nothing in it waits on a row another report
holds: numbers come from a sequence and the layer triggers write per-session slot rows
(migration 0011), so concurrent reports commit side by side.

Nothing is inserted when the category is unknown or the point is in no grid (the caller
turns the empty columns into the right error), and an existing ``client_id`` is left
alone (``ON CONFLICT DO NOTHING``: the caller returns the stored case).

On the intake connections (:mod:`gis.cases.prepared`) the statement is ``PREPARE``d once,
so PostgreSQL neither parses nor plans it per report.
"""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa

from gis.cases.duplicates import OPEN_SQL
from gis.cases.events import EVENT_JSON
from gis.cases.prepared import Bind

#: Parameters of the statement with their SQL types (each is cast: PREPARE needs types).
PARAMS: tuple[tuple[str, str], ...] = (
    ("lon", "float8"),
    ("lat", "float8"),
    ("category", "text"),
    ("client_id", "uuid"),
    ("description", "text"),
    ("address", "text"),
    ("source", "text"),
    ("reporter_name", "text"),
    ("reporter_phone", "text"),
    ("reported_by", "text"),
    ("attributes", "jsonb"),
    ("reported_at", "timestamptz"),
    ("crs", "text"),
    ("seq", "text"),
    ("prefix", "text"),
    ("channel", "text"),
    ("dup_days", "int"),
    ("dup_deg", "float8"),
    ("dup_radius", "float8"),
    ("audited", "bool"),
    ("audit_role", "text"),
    ("audit_client", "text"),
)

SQL = f"""
WITH p AS (
    SELECT ST_SetSRID(ST_Point(:lon, :lat), 4326) AS pt
), cat AS (
    SELECT k.code, k.name, k.sensitive, k.parent_code, pk.name AS parent_name
      FROM categories k LEFT JOIN categories pk ON pk.code = k.parent_code
     WHERE k.code = :category AND k.level = 2
), loc AS (
    SELECT s.township_code, s.township_name, s.community_code, s.community_name,
           s.grid_code, s.grid_name
      FROM spatial_lookup s, p
     WHERE ST_Intersects(s.geom, p.pt)
     ORDER BY s.grid_code
     LIMIT 1
), asg AS (
    SELECT (SELECT w.username FROM grid_staff w
             WHERE w.grid_code = loc.grid_code AND w.role = 'worker'
               AND w.username IS NOT NULL
             ORDER BY w.id LIMIT 1) AS username
      FROM loc
), near AS (
    SELECT d.case_no, d.state, d.reported_at,
           round(ST_Distance(d.geom::geography, p.pt::geography)::numeric, 1) AS distance_m
      FROM cases d, p
     WHERE EXISTS (SELECT 1 FROM cat) AND EXISTS (SELECT 1 FROM loc)
       AND d.category_code || '' = :category  -- the open-geom index, not the category one
       AND d.state IN {OPEN_SQL}
       AND d.reported_at >= now() - make_interval(days => :dup_days)
       AND ST_DWithin(d.geom, p.pt, :dup_deg)
       AND ST_DWithin(d.geom::geography, p.pt::geography, :dup_radius)
     ORDER BY distance_m, d.reported_at DESC
     LIMIT 10
), dup AS (
    SELECT coalesce(json_agg(json_build_object('case_no', case_no, 'state', state,
                                               'reported_at', reported_at,
                                               'distance_m', distance_m)
                             ORDER BY distance_m, reported_at DESC), '[]') AS list,
           coalesce(jsonb_agg(case_no ORDER BY distance_m, reported_at DESC), '[]') AS nos
      FROM near
), c AS (
    INSERT INTO cases (case_no, client_id, category_code, description, address, geom,
                       township_code, community_code, grid_code, state, source,
                       reporter_name, reporter_phone, reported_by, attributes, assignee,
                       reported_at, updated_at)
    SELECT :prefix || lpad(n.v::text, greatest(4, length(n.v::text)), '0'),
           :client_id, cat.code, :description, :address, p.pt,
           loc.township_code, loc.community_code, loc.grid_code, 'reported', :source,
           :reporter_name, :reporter_phone, :reported_by, :attributes, asg.username,
           :reported_at, now()
      FROM cat, loc, asg, p, LATERAL (SELECT nextval(CAST(:seq AS regclass)) AS v) n
    ON CONFLICT (client_id) DO NOTHING
    RETURNING *
), e AS (
    INSERT INTO case_events (case_id, actor, action, from_state, to_state, geom, data)
    SELECT c.id, :reported_by, 'report', NULL, 'reported', c.geom,
           jsonb_build_object('source', :source, 'crs', :crs, 'duplicates', dup.nos)
      FROM c, dup
    RETURNING *
), a AS (
    INSERT INTO audit_log (actor, actor_role, action, object_type, object_id, before, after,
                           client)
    SELECT :reported_by, :audit_role, 'case.report', 'case', c.case_no, NULL,
           jsonb_build_object('state', 'reported', 'category', c.category_code,
                              'grid', c.grid_code, 'assignee', c.assignee, 'source', :source,
                              'client_id', :client_id, 'photos', NULL),
           :audit_client
      FROM c
     WHERE :audited
)
SELECT cat.code AS category_code, cat.name AS category_name, cat.sensitive,
       cat.parent_code AS category_parent, cat.parent_name AS category_parent_name,
       loc.township_code, loc.township_name, loc.community_code, loc.community_name,
       loc.grid_code, loc.grid_name, asg.username AS assignee, dup.list AS duplicates,
       c.id, c.case_no, c.updated_at, e.id AS event_id,
       CASE WHEN e.id IS NOT NULL THEN pg_notify(:channel, {EVENT_JSON}::text) END AS notified
  FROM (SELECT 1) one
  LEFT JOIN cat ON true LEFT JOIN loc ON true LEFT JOIN asg ON true LEFT JOIN dup ON true
  LEFT JOIN c ON true LEFT JOIN e ON e.case_id = c.id
"""

_TYPED = {name: f"CAST(:{name} AS {typ})" for name, typ in PARAMS}
_NAME = re.compile(r"(?<![:\w]):(\w+)")
#: The statement for ``sa.text`` (parameters cast to their types).
TEXT = sa.text(_NAME.sub(lambda m: _TYPED[m.group(1)], SQL))


def params(values: dict[str, Any]) -> dict[str, Any]:
    """The statement's parameters from the report's values (JSON fields encoded)."""
    out = {name: values.get(name) for name, _ in PARAMS}
    out["attributes"] = json.dumps(values.get("attributes") or {}, ensure_ascii=False)
    out["client_id"] = str(values["client_id"]) if values.get("client_id") else None
    return out


def run(*, bind: Bind, values: dict[str, Any]) -> Any:
    """Run the statement and return its one row."""
    return bind.execute(TEXT, params(values)).one()
