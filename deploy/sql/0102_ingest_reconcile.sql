-- SPDX-License-Identifier: Apache-2.0
-- prahari-ingest: the reconciler covers the whole pipeline (idempotent).
-- A restart of an in-memory broker loses what sits in the enriched or routed
-- topics too, so an open alert is "seen downstream" only when its current
-- revision has a locations row, a routings row and the alert has a level-1
-- notifications row (the notifier's unique key is per alert, not per
-- revision: a later revision does not tell the same recipient again). Until then the reconciler
-- republishes the normalized message (every stage is idempotent) when due
-- (alerts.republish_at, 0100: the wait doubles per attempt up to
-- PRAHARI_RECONCILE_MAX_MS).
--
-- prahari_reconcile_candidates(max_rows) runs as its owner (the migration
-- user), so prahari_ingest needs no read access to routings or notifications
-- (0500): it first takes finished (or no longer open) due alerts (at most
-- 4 * max_rows, longest due first) out of the partial index alerts_republish_due_idx (seen_downstream_revision =
-- revision), then returns up to max_rows due alerts, oldest due first, locked
-- FOR UPDATE SKIP LOCKED (the lock lasts until the caller's transaction ends,
-- so two ingest replicas never republish the same alert in one round), with
-- the first stage that has not recorded the revision ('located', 'routed',
-- 'notified'), whether the routing names a directory_gap, and warn = true
-- the first time a revision is found routed but unnotified (the caller logs
-- it once and records it in gap_warned_revision). The scan is the partial
-- index; the probes are primary key or notifications (alert_id, level) index
-- lookups (EXPLAIN ANALYZE, 10k alerts: ~20 ms a round; 200k alerts with 24k
-- due: ~100 ms, where the planner hashes routings for the bounded UPDATE).
-- EXECUTE is granted to prahari_ingest by 0510 (after 0500 made the role).
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS gap_warned_revision integer NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION prahari_reconcile_candidates(max_rows integer)
RETURNS TABLE (alert_id uuid, revision integer, missing text, directory_gap boolean, warn boolean)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $fn$
    -- Bounded: the 4 * max_rows due longest, so a round stays cheap after a
    -- long outage too (the rest is marked in the next rounds).
    UPDATE alerts a SET seen_downstream_revision = a.revision
     WHERE a.alert_id IN (SELECT d.alert_id FROM alerts d
                           WHERE d.seen_downstream_revision < d.revision AND d.republish_at <= now()
                           ORDER BY d.republish_at LIMIT 4 * max_rows)
       AND a.seen_downstream_revision < a.revision AND a.status <> 'open';

    -- AND-only EXISTS: semi-joins (index probes per due row).
    UPDATE alerts a SET seen_downstream_revision = a.revision
     WHERE a.alert_id IN (SELECT d.alert_id FROM alerts d
                           WHERE d.seen_downstream_revision < d.revision AND d.republish_at <= now()
                           ORDER BY d.republish_at LIMIT 4 * max_rows)
       AND a.seen_downstream_revision < a.revision
       AND EXISTS (SELECT 1 FROM locations l
                    WHERE l.alert_id = a.alert_id AND l.revision = a.revision)
       AND EXISTS (SELECT 1 FROM routings r
                    WHERE r.alert_id = a.alert_id AND r.revision = a.revision)
       AND EXISTS (SELECT 1 FROM notifications n
                    WHERE n.alert_id = a.alert_id AND n.level = 1);

    -- Limit first (the partial index in republish_at order), then one primary
    -- key / index probe per row; a row finished since the UPDATE is dropped.
    SELECT c.alert_id, c.revision, c.missing, c.directory_gap,
           c.missing = 'notified' AND c.gap_warned_revision < c.revision
      FROM (SELECT a.alert_id, a.revision, a.gap_warned_revision,
                   CASE WHEN l.alert_id IS NULL THEN 'located'
                        WHEN r.alert_id IS NULL THEN 'routed'
                        WHEN NOT EXISTS (SELECT 1 FROM notifications n
                                          WHERE n.alert_id = a.alert_id AND n.level = 1)
                        THEN 'notified' END AS missing,
                   COALESCE(r.detail ? 'directory_gap', false) AS directory_gap
              FROM alerts a
              LEFT JOIN locations l ON l.alert_id = a.alert_id AND l.revision = a.revision
              LEFT JOIN routings r ON r.alert_id = a.alert_id AND r.revision = a.revision
             WHERE a.seen_downstream_revision < a.revision AND a.republish_at <= now()
               AND a.status = 'open'
             ORDER BY a.republish_at
             LIMIT max_rows
               FOR UPDATE OF a SKIP LOCKED) c
     WHERE c.missing IS NOT NULL;
$fn$;

REVOKE ALL ON FUNCTION prahari_reconcile_candidates(integer) FROM PUBLIC;
