-- SPDX-License-Identifier: Apache-2.0
-- prahari-notifier, issue 5/6: "moved away" notices and escalation chains
-- that restart when a revision moves the lead jurisdiction. Idempotent.
--
-- notifications.revision: 0 for alert, moved and escalation rows (their key
-- stays (alert, recipient, channel, level): a later revision never tells
-- the same recipient twice); the routed revision for 'moved_away' rows, the
-- notice to the old lead's level-1 recipients, once per (alert, revision,
-- recipient, channel) although those recipients already have level-1 rows.
-- The unique key becomes (alert_id, recipient_id, channel, level, revision);
-- notification_id / client_ref hash the revision in when it is not 0
-- (routed_ids_rev), so they stay deterministic and unique.
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS revision integer NOT NULL DEFAULT 0;

ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('alert', 'moved', 'moved_away', 'escalation'));
ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_revision_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_revision_check
    CHECK ((kind = 'moved_away') = (revision > 0));

CREATE UNIQUE INDEX IF NOT EXISTS notifications_once_idx
    ON notifications (alert_id, recipient_id, channel, level, revision);
ALTER TABLE notifications
    DROP CONSTRAINT IF EXISTS notifications_alert_id_recipient_id_channel_level_key;

-- escalations.revision: the routed revision whose chain the timer belongs
-- to. A revision that moves the lead closes the older chain's open timers
-- and (re)starts level 2 for the new lead; a redelivery of the same
-- revision changes nothing (only timers of older revisions are replaced).
ALTER TABLE escalations ADD COLUMN IF NOT EXISTS revision integer NOT NULL DEFAULT 1;
