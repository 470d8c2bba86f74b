"""Construction tracking: milestone weights, progress reports, history, derived status.

Revision ID: 0004_projects
Revises: 0003_cases
Create Date: 2026-11-26

``project_status_at(today)`` derives progress and status from milestones, weights and money
for a given day (the Python twin is ``gis/projects/status.py``; a test keeps them equal).
``project_overview`` applies it to today's date in Ledu, so the register and the map layer
never store a status that could drift.
"""

from __future__ import annotations

from alembic import op

revision = "0004_projects"
down_revision = "0003_cases"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE project_milestone_weights (
    kind   text PRIMARY KEY CHECK (kind IN ('site_selection', 'approval', 'design', 'tendering',
               'construction_start', 'structure_complete', 'acceptance', 'in_service')),
    seq    smallint NOT NULL UNIQUE,
    weight numeric(6, 2) NOT NULL CHECK (weight >= 0)
);
INSERT INTO project_milestone_weights (kind, seq, weight) VALUES
    ('site_selection', 1, 5), ('approval', 2, 5), ('design', 3, 10), ('tendering', 4, 5),
    ('construction_start', 5, 10), ('structure_complete', 6, 35), ('acceptance', 7, 20),
    ('in_service', 8, 10);

-- Progress reports from the site, with the reporter's position and photos.
CREATE TABLE project_reports (
    id             serial PRIMARY KEY,
    project_id     integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    report_date    date NOT NULL,
    body           text NOT NULL CHECK (length(btrim(body)) > 0),
    reporter       text NOT NULL,
    reporter_phone text,
    username       text,
    progress       numeric(5, 1) CHECK (progress BETWEEN 0 AND 100),
    geom           geometry(Point, 4326),
    distance_m     numeric(10, 1),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_reports_project_idx ON project_reports (project_id, report_date);
CREATE INDEX project_reports_geom_idx ON project_reports USING gist (geom);

CREATE TABLE project_report_photos (
    id           serial PRIMARY KEY,
    report_id    integer NOT NULL REFERENCES project_reports (id) ON DELETE CASCADE,
    filename     text NOT NULL,
    content_type text NOT NULL,
    size_bytes   integer NOT NULL CHECK (size_bytes > 0),
    sha256       char(64) NOT NULL,
    storage_path text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_report_photos_report_idx ON project_report_photos (report_id);

-- Every change to a project: who, when, what it was before and after (no FK: outlives it).
CREATE TABLE project_history (
    id         bigserial PRIMARY KEY,
    project_id integer NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    actor_role text,
    action     text NOT NULL,
    before     jsonb,
    after      jsonb
);
CREATE INDEX project_history_project_idx ON project_history (project_id, at, id);

CREATE FUNCTION project_status_at(today date)
RETURNS TABLE (
    project_id       integer,
    progress_derived numeric,
    progress         numeric,
    spent_pct        numeric,
    milestones_done  integer,
    milestones_total integer,
    next_milestone   text,
    next_due         date,
    days_late        integer,
    status           text
)
LANGUAGE sql STABLE AS $$
    SELECT p.id, p.progress_derived,
           coalesce(p.progress_override, p.progress_derived) AS progress,
           p.spent_pct, p.n_done, p.n_all, p.next_kind, p.next_due, p.days_late,
           CASE
               WHEN p.n_all > 0 AND (p.in_service OR p.n_done = p.n_all) THEN 'completed'
               WHEN p.days_late IS NOT NULL THEN 'late'
               WHEN p.blocked
                    OR p.spent_pct - coalesce(p.progress_override, p.progress_derived) > 20
                   THEN 'at_risk'
               WHEN p.n_done = 0 THEN 'not_started'
               ELSE 'on_track'
           END
    FROM (
        SELECT p.id, p.progress_override,
               CASE WHEN a.w_all > 0 THEN round(100 * a.w_done / a.w_all, 1)
                    ELSE 0.0 END AS progress_derived,
               CASE WHEN p.budget_total > 0 THEN round(100 * p.spent_to_date / p.budget_total, 1)
                    END AS spent_pct,
               coalesce(a.n_done, 0) AS n_done, coalesce(a.n_all, 0) AS n_all, a.days_late,
               coalesce(a.blocked, false) AS blocked,
               coalesce(a.in_service, false) AS in_service, a.next_kind, a.next_due
        FROM projects p
        LEFT JOIN (
            SELECT m.project_id,
                   coalesce(sum(m.weight) FILTER (WHERE m.done), 0) AS w_done,
                   sum(m.weight) AS w_all,
                   count(*) FILTER (WHERE m.done)::integer AS n_done,
                   count(*)::integer AS n_all,
                   max(today - m.planned_date)
                       FILTER (WHERE NOT m.done AND m.planned_date < today) AS days_late,
                   bool_or(NOT m.done AND NOT m.prev_done
                           AND m.planned_date BETWEEN today AND today + 14) AS blocked,
                   bool_or(m.done AND m.kind = 'in_service') AS in_service,
                   (array_agg(m.kind ORDER BY m.seq) FILTER (WHERE NOT m.done))[1] AS next_kind,
                   (array_agg(m.planned_date ORDER BY m.seq) FILTER (WHERE NOT m.done))[1]
                       AS next_due
            FROM (
                -- milestones in canonical order: done on ``today``, and whether the one
                -- before was done (NULL for the first)
                SELECT pm.project_id, w.seq, pm.kind, pm.planned_date, w.weight,
                       (pm.actual_date IS NOT NULL AND pm.actual_date <= today) AS done,
                       lag(pm.actual_date IS NOT NULL AND pm.actual_date <= today)
                           OVER (PARTITION BY pm.project_id ORDER BY w.seq) AS prev_done
                FROM project_milestones pm
                JOIN project_milestone_weights w ON w.kind = pm.kind
            ) m
            GROUP BY m.project_id
        ) a ON a.project_id = p.id
    ) p
$$;

-- The register as of a given day: each project with its place, money and derived status.
CREATE FUNCTION project_overview_at(today date)
RETURNS TABLE (
    id integer, name text, facility_kind text, facility_id integer, plan_group text,
    community_code varchar, community_name text, township_code varchar, township_name text,
    responsible_unit text, planned_floor_area numeric, budget_total numeric,
    spent_to_date numeric, funded_total numeric, status text, status_label text,
    progress numeric, progress_derived numeric, progress_override numeric, spent_pct numeric,
    milestones_done integer, milestones_total integer, next_milestone text, next_due date,
    days_late integer, geom geometry, site_polygon geometry, updated_at timestamptz
)
LANGUAGE sql STABLE AS $$
    SELECT p.id, p.name, p.facility_kind, p.facility_id, p.plan_group,
           p.community_code, c.name, c.parent_code, t.name,
           p.responsible_unit, p.planned_floor_area,
           p.budget_total, p.spent_to_date, coalesce(f.funded, 0),
           s.status,
           CASE s.status WHEN 'not_started' THEN '未开工' WHEN 'on_track' THEN '正常推进'
                WHEN 'at_risk' THEN '存在风险' WHEN 'late' THEN '滞后' ELSE '已完成' END,
           s.progress, s.progress_derived, p.progress_override, s.spent_pct,
           s.milestones_done, s.milestones_total, s.next_milestone, s.next_due, s.days_late,
           p.site, p.site_polygon, p.updated_at
    FROM projects p
    JOIN project_status_at(today) s ON s.project_id = p.id
    LEFT JOIN admin_units c ON c.code = p.community_code AND c.valid_to IS NULL
    LEFT JOIN admin_units t ON t.code = c.parent_code AND t.valid_to IS NULL
    LEFT JOIN (SELECT pf.project_id, sum(pf.amount) AS funded FROM project_funding pf
               GROUP BY pf.project_id) f ON f.project_id = p.id
$$;

-- Today's register (the date in Ledu), read by the construction-sites map layer.
CREATE VIEW project_overview AS
SELECT o.id, o.name, o.facility_kind, o.facility_id, o.plan_group, o.community_code,
       o.community_name, o.township_code, o.township_name, o.responsible_unit,
       o.planned_floor_area, o.budget_total, o.spent_to_date, o.funded_total, o.status,
       o.status_label, o.progress, o.progress_derived, o.progress_override, o.spent_pct,
       o.milestones_done, o.milestones_total, o.next_milestone, o.next_due, o.days_late,
       o.geom::geometry(Point, 4326) AS geom,
       o.site_polygon::geometry(MultiPolygon, 4326) AS site_polygon, o.updated_at
FROM project_overview_at((now() AT TIME ZONE 'Asia/Shanghai')::date) o;

-- Map tiles of the construction sites are cached by data version: changed weights and a new
-- day (statuses are judged on today's date) count as changes too.
INSERT INTO layer_data_versions (source) VALUES ('project_milestone_weights'),
    ('project_status_day') ON CONFLICT (source) DO NOTHING;
CREATE TRIGGER layer_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON project_milestone_weights FOR EACH STATEMENT EXECUTE FUNCTION layer_bump_version();
-- Idempotent: bumps once per date in Ledu however many processes call it.
CREATE FUNCTION project_status_day_bump() RETURNS boolean LANGUAGE sql AS $$
    UPDATE layer_data_versions
       SET version = nextval('layer_version_seq'), changed_at = clock_timestamp()
     WHERE source = 'project_status_day'
       AND (changed_at AT TIME ZONE 'Asia/Shanghai')::date
           < (clock_timestamp() AT TIME ZONE 'Asia/Shanghai')::date
    RETURNING true
$$;

-- Milestones are written in their canonical order; dates of one project are checked in code.
CREATE INDEX project_milestones_project_idx ON project_milestones (project_id, seq);
CREATE INDEX project_funding_project_idx ON project_funding (project_id);
"""

DOWNGRADE = """
DROP FUNCTION IF EXISTS project_status_day_bump();
DELETE FROM layer_data_versions WHERE source IN ('project_milestone_weights', 'project_status_day');
DROP VIEW IF EXISTS project_overview;
DROP FUNCTION IF EXISTS project_overview_at(date);
DROP FUNCTION IF EXISTS project_status_at(date);
DROP INDEX IF EXISTS project_milestones_project_idx;
DROP INDEX IF EXISTS project_funding_project_idx;
DROP TABLE IF EXISTS project_history, project_report_photos, project_reports,
    project_milestone_weights;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
