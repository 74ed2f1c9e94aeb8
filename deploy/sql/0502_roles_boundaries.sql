-- SPDX-License-Identifier: Apache-2.0
-- Least privilege, second version: prahari_apply_grants() as in
-- 0500_roles.sql, plus the router's read access to the boundary layers that
-- 0300_router_boundaries.sql added (boundary_versions, boundaries; prahari_admin
-- already writes them through its all-tables grant). Applied migrations are
-- never edited: a change to the grant set is a new file that redefines the
-- function in full and calls it. This definition is the current one.

CREATE OR REPLACE FUNCTION prahari_apply_grants() RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    r text;
    can_create boolean;
    -- alerts columns without personal data: subject (name, account, phone,
    -- e-mail), content (post text, links) and raw (the partner's item).
    alerts_plain constant text :=
        'alert_id, source, source_alert_id, way, short_code, revision, content_hash, '
        'severity, category, platform, reported_at, received_at, canonical, status, '
        'outcome, published_revision, seen_downstream_revision, redacted_at';
BEGIN
    SELECT rolsuper OR rolcreaterole INTO can_create FROM pg_roles WHERE rolname = current_user;

    FOREACH r IN ARRAY ARRAY['prahari_ingest', 'prahari_enrich', 'prahari_router',
                             'prahari_notifier', 'prahari_admin'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            IF can_create THEN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            ELSE
                RAISE WARNING 'role % missing and % may not create roles: least-privilege roles not applied', r, current_user;
            END IF;
        END IF;
    END LOOP;

    -- From here on only roles that exist.
    FOR r IN SELECT rolname FROM pg_roles
             WHERE rolname IN ('prahari_ingest', 'prahari_enrich', 'prahari_router',
                               'prahari_notifier', 'prahari_admin') LOOP
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', r);
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', r);
        -- Column grants are not removed by a table-level REVOKE ALL.
        EXECUTE format('REVOKE ALL (%s) ON alerts FROM %I', alerts_plain || ', subject, content, raw', r);
        EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', r);
        EXECUTE format('GRANT INSERT, SELECT ON timeline TO %I', r);
        EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE timeline_id_seq TO %I', r);
        -- The migration record (made by prahari-migrate), if there: readiness may check it.
        IF to_regclass('public.schema_migrations') IS NOT NULL THEN
            EXECUTE format('GRANT SELECT ON schema_migrations TO %I', r);
        END IF;
    END LOOP;

    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prahari_ingest') THEN
        -- Stores alerts and their revisions, quarantines unreadable items; the
        -- reconciler republishes what downstream has not recorded.
        GRANT SELECT, INSERT, UPDATE ON alerts, alert_revisions TO prahari_ingest;
        GRANT SELECT, INSERT ON quarantine TO prahari_ingest;
        GRANT USAGE, SELECT ON SEQUENCE quarantine_quarantine_id_seq TO prahari_ingest;
        GRANT SELECT ON locations TO prahari_ingest;
    END IF;

    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prahari_enrich') THEN
        EXECUTE format('GRANT SELECT (%s) ON alerts TO prahari_enrich', alerts_plain);
        GRANT UPDATE (seen_downstream_revision) ON alerts TO prahari_enrich;
        GRANT SELECT, INSERT ON locations TO prahari_enrich;
    END IF;

    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prahari_router') THEN
        EXECUTE format('GRANT SELECT (%s) ON alerts TO prahari_router', alerts_plain);
        GRANT SELECT, INSERT ON routings TO prahari_router;
        GRANT SELECT ON directory TO prahari_router;
        -- Boundary layers in PostGIS (0300_router_boundaries.sql).
        IF to_regclass('public.boundary_versions') IS NOT NULL THEN
            GRANT SELECT ON boundary_versions, boundaries TO prahari_router;
        END IF;
    END IF;

    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prahari_notifier') THEN
        -- subject and content build the e-mail; raw is never needed.
        EXECUTE format('GRANT SELECT (%s, subject, content) ON alerts TO prahari_notifier', alerts_plain);
        GRANT UPDATE (status, outcome) ON alerts TO prahari_notifier;
        GRANT SELECT, INSERT, UPDATE ON notifications, escalations TO prahari_notifier;
        GRANT SELECT, INSERT ON acknowledgements TO prahari_notifier;
        -- Escalation fires without a message in hand: where the alert was routed.
        GRANT SELECT ON routings, locations, directory TO prahari_notifier;
    END IF;

    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prahari_admin') THEN
        -- Operators' tool: directory import, quarantine resolution, replay,
        -- retention (redaction). The timeline trigger still refuses UPDATE/DELETE.
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO prahari_admin;
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO prahari_admin;
    END IF;
END
$fn$;

-- Only the migration owner runs it.
REVOKE ALL ON FUNCTION prahari_apply_grants() FROM PUBLIC;

SELECT prahari_apply_grants();
