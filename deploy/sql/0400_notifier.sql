-- SPDX-License-Identifier: Apache-2.0
-- prahari-notifier: what a notification row needs to be rebuilt byte for byte
-- on a retry (the DLT template kind and language, the addressee's name for the
-- To: header) and the lookups of delivery reports. Idempotent.

ALTER TABLE notifications ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'alert';
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS lang text NOT NULL DEFAULT 'en';
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS recipient_name text;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'notifications_kind_check') THEN
        ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
            CHECK (kind IN ('alert', 'moved', 'escalation'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'notifications_lang_check') THEN
        ALTER TABLE notifications ADD CONSTRAINT notifications_lang_check
            CHECK (lang IN ('en', 'hi'));
    END IF;
END $$;

-- Delivery reports name the provider's message id (or our client_ref, which
-- is already unique).
CREATE INDEX IF NOT EXISTS notifications_provider_msg_idx
    ON notifications (provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS notifications_alert_idx ON notifications (alert_id, level);
-- SMS replies: the alert by short code is already unique; the sender's number.
CREATE INDEX IF NOT EXISTS notifications_address_idx ON notifications (address) WHERE channel = 'sms';
