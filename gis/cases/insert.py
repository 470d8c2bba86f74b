"""The write at the heart of intake: one statement stores a batch of reports.

For every report of the batch (arrays of inputs, ``unnest … WITH ORDINALITY``) it checks
the category, locates the point (``spatial_lookup``), finds the grid's worker, looks for
duplicate suggestions, takes the day's next number, inserts the case and its first
history row, queues the NOTIFY and (``audited``) appends the audit row — so on its own
(autocommit) it is the whole batch, atomically: all of it is stored or none. It returns
one row per report, in input order (column ``i``, from 1). Nothing in it waits on a row
another batch holds: numbers come from sequences and the layer triggers write per-session
slot rows (migration 0011), so concurrent batches commit side by side.

A report whose category is unknown or whose point is in no grid is not inserted (the
caller turns its empty columns into that report's error), and a report whose
``client_id`` is stored already is left alone (``ON CONFLICT DO NOTHING``: the caller
returns the stored case); the other reports of the batch are stored as usual. A batch must
not hold the same ``client_id`` twice. Reports of one batch do not see each other as
duplicate suggestions (as reports committed at the same moment do not).

A single report (:func:`run`, the session path with photos) is a batch of one. On the
intake connections (:mod:`gis.cases.prepared`) the statement is ``PREPARE``d once, so
PostgreSQL neither parses nor plans it per batch.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from gis.cases.duplicates import OPEN_SQL
from gis.cases.events import EVENT_JSON
from gis.cases.prepared import Bind

#: Per-report inputs (one array each, cast to ``type[]``).
ROW_PARAMS: tuple[tuple[str, str], ...] = (
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
    ("audit_role", "text"),
    ("audit_client", "text"),
)
#: Inputs shared by the batch (settings of the process; ``audited`` of the caller).
BATCH_PARAMS: tuple[tuple[str, str], ...] = (
    ("channel", "text"),
    ("dup_days", "int"),
    ("dup_deg", "float8"),
    ("dup_radius", "float8"),
    ("audited", "bool"),
)

# uuid and jsonb arrays arrive as text arrays (the driver sends lists of str as text[])
_UNNEST = ", ".join(
    f"CAST(CAST(:{name} AS text[]) AS {typ}[])"
    if typ in ("uuid", "jsonb")
    else f"CAST(:{name} AS {typ}[])"
    for name, typ in ROW_PARAMS
)
_COLS = ", ".join(name for name, _ in ROW_PARAMS)

SQL = f"""
WITH r AS MATERIALIZED (
    SELECT u.*, ST_SetSRID(ST_Point(u.lon, u.lat), 4326) AS pt
      FROM unnest({_UNNEST}) WITH ORDINALITY AS u({_COLS}, i)
), cat AS MATERIALIZED (
    SELECT r.i, k.code, k.name, k.sensitive, k.parent_code, pk.name AS parent_name
      FROM r JOIN categories k ON k.code = r.category AND k.level = 2
      LEFT JOIN categories pk ON pk.code = k.parent_code
), loc AS MATERIALIZED (
    SELECT r.i, s.township_code, s.township_name, s.community_code, s.community_name,
           s.grid_code, s.grid_name,
           (SELECT w.username FROM grid_staff w
             WHERE w.grid_code = s.grid_code AND w.role = 'worker' AND w.username IS NOT NULL
             ORDER BY w.id LIMIT 1) AS assignee
      FROM r CROSS JOIN LATERAL (
           SELECT s.* FROM spatial_lookup s
            WHERE ST_Intersects(s.geom, r.pt)
            ORDER BY s.grid_code LIMIT 1) s
), ok AS MATERIALIZED (
    SELECT r.*, cat.code, loc.township_code, loc.community_code, loc.grid_code, loc.assignee
      FROM r JOIN cat ON cat.i = r.i JOIN loc ON loc.i = r.i
), dup AS MATERIALIZED (
    SELECT ok.i, coalesce(near.list, '[]') AS list, coalesce(near.nos, '[]') AS nos
      FROM ok CROSS JOIN LATERAL (
           SELECT json_agg(json_build_object('case_no', case_no, 'state', state,
                                             'reported_at', reported_at,
                                             'distance_m', distance_m)
                           ORDER BY distance_m, reported_at DESC) AS list,
                  jsonb_agg(case_no ORDER BY distance_m, reported_at DESC) AS nos
             FROM (SELECT d.case_no, d.state, d.reported_at,
                          round(ST_Distance(d.geom::geography, ok.pt::geography)::numeric, 1)
                            AS distance_m
                     FROM cases d
                    WHERE d.category_code = ok.category  -- cases_open_category_geom_idx
                      AND d.state IN {OPEN_SQL}
                      AND d.reported_at >= now() - make_interval(days => :dup_days)
                      AND ST_DWithin(d.geom, ok.pt, :dup_deg)
                      AND ST_DWithin(d.geom::geography, ok.pt::geography, :dup_radius)
                    ORDER BY distance_m, d.reported_at DESC
                    LIMIT 10) near) near
), num AS MATERIALIZED (
    SELECT ok.i, ok.prefix || lpad(n.v::text, greatest(4, length(n.v::text)), '0') AS case_no
      FROM ok, LATERAL (SELECT nextval(CAST(ok.seq AS regclass)) AS v) n
), c AS (
    INSERT INTO cases (case_no, client_id, category_code, description, address, geom,
                       township_code, community_code, grid_code, state, source,
                       reporter_name, reporter_phone, reported_by, attributes, assignee,
                       reported_at, updated_at)
    SELECT num.case_no, ok.client_id, ok.code, ok.description, ok.address, ok.pt,
           ok.township_code, ok.community_code, ok.grid_code, 'reported', ok.source,
           ok.reporter_name, ok.reporter_phone, ok.reported_by, ok.attributes, ok.assignee,
           ok.reported_at, now()
      FROM ok JOIN num ON num.i = ok.i
     ORDER BY ok.i
    ON CONFLICT (client_id) DO NOTHING
    RETURNING *
), ci AS (
    SELECT num.i, c.* FROM c JOIN num ON num.case_no = c.case_no
), e AS (
    INSERT INTO case_events (case_id, actor, action, from_state, to_state, geom, data)
    SELECT ci.id, ok.reported_by, 'report', NULL, 'reported', ci.geom,
           jsonb_build_object('source', ok.source, 'crs', ok.crs, 'duplicates', dup.nos)
      FROM ci JOIN ok ON ok.i = ci.i JOIN dup ON dup.i = ci.i
     ORDER BY ci.i
    RETURNING *
), a AS (
    INSERT INTO audit_log (actor, actor_role, action, object_type, object_id, before, after,
                           client)
    SELECT ok.reported_by, ok.audit_role, 'case.report', 'case', ci.case_no, NULL,
           jsonb_build_object('state', 'reported', 'category', ci.category_code,
                              'grid', ci.grid_code, 'assignee', ci.assignee,
                              'source', ok.source, 'client_id', ok.client_id, 'photos', NULL),
           ok.audit_client
      FROM ci JOIN ok ON ok.i = ci.i
     WHERE :audited
     ORDER BY ci.i
)
SELECT r.i, cat.code AS category_code, cat.name AS category_name, cat.sensitive,
       cat.parent_code AS category_parent, cat.parent_name AS category_parent_name,
       loc.township_code, loc.township_name, loc.community_code, loc.community_name,
       loc.grid_code, loc.grid_name, loc.assignee, coalesce(dup.list, '[]') AS duplicates,
       c.id, c.case_no, c.updated_at, e.id AS event_id,
       CASE WHEN e.id IS NOT NULL THEN pg_notify(:channel, {EVENT_JSON}::text) END AS notified
  FROM r
  LEFT JOIN cat ON cat.i = r.i LEFT JOIN loc ON loc.i = r.i LEFT JOIN dup ON dup.i = r.i
  LEFT JOIN ci c ON c.i = r.i LEFT JOIN e ON e.case_id = c.id
 ORDER BY r.i
"""

_TYPES = dict(BATCH_PARAMS)
_NAME = re.compile(r"(?<![:\w]):(\w+)")
#: The statement for ``sa.text`` (shared parameters cast to their types).
TEXT = sa.text(
    _NAME.sub(
        lambda m: (
            f"CAST(:{m.group(1)} AS {_TYPES[m.group(1)]})" if m.group(1) in _TYPES else m.group(0)
        ),
        SQL,
    )
)


def params(batch: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The statement's parameters for the reports ``batch`` (values of
    :func:`gis.cases.intake.report_values`; shared ones taken from the first)."""
    out: dict[str, Any] = {name: [v.get(name) for v in batch] for name, _ in ROW_PARAMS}
    out["attributes"] = [json.dumps(v.get("attributes") or {}, ensure_ascii=False) for v in batch]
    out["client_id"] = [str(v["client_id"]) if v.get("client_id") else None for v in batch]
    out.update({name: batch[0][name] for name, _ in BATCH_PARAMS})
    return out


def run(*, bind: Bind, values: dict[str, Any]) -> Any:
    """Run the statement for one report and return its row."""
    return bind.execute(TEXT, params([values])).one()
