-- SPDX-License-Identifier: Apache-2.0
-- Router: boundary layers as versioned data in PostGIS. `prahari-admin
-- boundaries import` writes one boundary_versions row per imported file
-- (version id = file name + "@sha256:" + 8 hex, the id every routing records
-- in routings.boundary_version) and its features into boundaries. Versions
-- are never changed or deleted, so old alerts keep theirs.
-- PostGIS must exist (deploy/local/stack.sh creates it as superuser; this
-- statement is a no-op then).
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE IF NOT EXISTS boundary_versions (
    version        text PRIMARY KEY,
    layer          text NOT NULL CHECK (layer IN ('district', 'state')),
    file_name      text NOT NULL,
    sha256         text NOT NULL,
    name_property  text NOT NULL,
    features       integer NOT NULL CHECK (features > 0),
    effective_from date NOT NULL,
    imported_at    timestamptz NOT NULL DEFAULT now(),
    imported_by    text NOT NULL,
    report         jsonb NOT NULL DEFAULT '{}'::jsonb  -- overlaps, gaps, repairs found on import
);
CREATE INDEX IF NOT EXISTS boundary_versions_effective_idx
    ON boundary_versions (layer, effective_from DESC);

CREATE TABLE IF NOT EXISTS boundaries (
    version text NOT NULL REFERENCES boundary_versions (version),
    name    text NOT NULL,
    parent  text,                                  -- escalation parent (e.g. the state), if known
    geom    geometry(MultiPolygon, 4326) NOT NULL,
    PRIMARY KEY (version, name)
);
CREATE INDEX IF NOT EXISTS boundaries_geom_idx ON boundaries USING gist (geom);

-- Append-only like the timeline: a version, once imported, is a fact.
CREATE OR REPLACE FUNCTION boundaries_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
DROP TRIGGER IF EXISTS boundary_versions_immutable ON boundary_versions;
CREATE TRIGGER boundary_versions_immutable BEFORE UPDATE OR DELETE ON boundary_versions
    FOR EACH ROW EXECUTE FUNCTION boundaries_immutable();
DROP TRIGGER IF EXISTS boundaries_immutable ON boundaries;
CREATE TRIGGER boundaries_immutable BEFORE UPDATE OR DELETE ON boundaries
    FOR EACH ROW EXECUTE FUNCTION boundaries_immutable();
