-- SPDX-License-Identifier: Apache-2.0
-- prahari-ingest: the reconciler's bookkeeping (idempotent).
--   last_published_at  when the current revision was last handed to the producer;
--   publish_attempts   how many times the reconciler republished it;
--   republish_at       when to republish it if no stage downstream has recorded it
--                      (no locations row): PRAHARI_RECONCILE_AFTER_MS after the
--                      first publish, the wait doubling per attempt up to
--                      PRAHARI_RECONCILE_MAX_MS, so an alert nobody picks up does not
--                      flood the topic and the timeline.
-- The partial index holds only alerts not yet seen downstream, so a round of
-- the reconciler reads just the ones that are due.
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS last_published_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS publish_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS republish_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS alerts_republish_due_idx ON alerts (republish_at)
    WHERE seen_downstream_revision < revision;
CREATE INDEX IF NOT EXISTS quarantine_open_idx ON quarantine (received_at)
    WHERE resolved_at IS NULL;
