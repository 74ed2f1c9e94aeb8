-- SPDX-License-Identifier: Apache-2.0
-- prahari-ingest's reconciler may call prahari_reconcile_candidates (0102),
-- which reads routings and notifications for it; the role itself gets no
-- access to those tables (0500). Granted only if 0500 made the role.
-- Idempotent.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prahari_ingest') THEN
        GRANT EXECUTE ON FUNCTION prahari_reconcile_candidates(integer) TO prahari_ingest;
    END IF;
END
$$;
