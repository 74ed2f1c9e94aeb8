-- SPDX-License-Identifier: Apache-2.0
-- Prahari: the record. Shared tables for all services.
-- Applied by prahari-migrate inside one transaction under an advisory lock.

CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- One row per alert (partner + partner's id). The latest revision's canonical
-- form lives here; earlier ones in alert_revisions.
CREATE TABLE alerts (
    alert_id        uuid PRIMARY KEY,
    source          text NOT NULL,            -- partner name: meta, google, youtube, sharechat, ...
    source_alert_id text NOT NULL,            -- the partner's report id: the dedup key
    way             text NOT NULL,            -- meta | google | youtube | alerts | email
    short_code      text NOT NULL UNIQUE,     -- 6 characters, carried in every SMS
    revision        integer NOT NULL DEFAULT 1,
    content_hash    text NOT NULL,            -- sha256 of the partner's item (not the envelope)
    severity        text NOT NULL CHECK (severity IN ('critical','high','medium')),
    category        text NOT NULL CHECK (category IN ('suicide','self_injury')),
    platform        text NOT NULL,
    reported_at     timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    canonical       jsonb NOT NULL,           -- the normalized message as published (no post text, no name)
    subject         jsonb NOT NULL DEFAULT '{}'::jsonb,  -- personal details: account, name, phone, e-mail
    content         jsonb NOT NULL DEFAULT '{}'::jsonb,  -- post text, links, media
    raw             bytea,                    -- the partner's item as received
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open','acknowledged','closed')),
    outcome         text,
    published_revision integer NOT NULL DEFAULT 0,  -- outbox: highest revision acknowledged by the broker
    seen_downstream_revision integer NOT NULL DEFAULT 0, -- highest revision a downstream stage recorded
    redacted_at     timestamptz,
    UNIQUE (source, source_alert_id)
);
CREATE INDEX alerts_outbox_idx ON alerts (received_at) WHERE published_revision < revision;

CREATE TABLE alert_revisions (
    alert_id     uuid NOT NULL REFERENCES alerts(alert_id),
    revision     integer NOT NULL,
    content_hash text NOT NULL,
    canonical    jsonb NOT NULL,
    raw          bytea,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (alert_id, revision)
);

-- Authenticated items that could not be read as an alert. Never dropped.
CREATE TABLE quarantine (
    quarantine_id bigserial PRIMARY KEY,
    source        text NOT NULL,
    way           text NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    reason        text NOT NULL,
    field         text,
    raw           bytea NOT NULL,
    resolved_at   timestamptz,
    resolved_by   text
);

-- Append-only audit trail of every alert.
CREATE TABLE timeline (
    id        bigserial PRIMARY KEY,
    alert_id  uuid NOT NULL,
    at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    stage     text NOT NULL,
    event     text NOT NULL,
    actor     text NOT NULL,
    revision  integer,
    detail    jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX timeline_alert_idx ON timeline (alert_id, at);

CREATE FUNCTION timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline is append-only';
END $$;
CREATE TRIGGER timeline_no_update BEFORE UPDATE OR DELETE ON timeline
    FOR EACH ROW EXECUTE FUNCTION timeline_append_only();

-- Where enrich placed each revision.
CREATE TABLE locations (
    alert_id    uuid NOT NULL REFERENCES alerts(alert_id),
    revision    integer NOT NULL,
    method      text NOT NULL CHECK (method IN ('gps','place','pin','ip','none')),
    lat         double precision,
    lon         double precision,
    radius_m    double precision,
    confidence  double precision NOT NULL,
    state       text,
    detail      jsonb NOT NULL,             -- the full location object (candidates, warnings)
    located_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (alert_id, revision)
);

-- Where the router sent each revision.
CREATE TABLE routings (
    alert_id         uuid NOT NULL REFERENCES alerts(alert_id),
    revision         integer NOT NULL,
    route            text NOT NULL CHECK (route IN ('district','state_command_centre')),
    district         text,
    state            text,
    reason           text NOT NULL,
    boundary_version text NOT NULL,
    detail           jsonb NOT NULL,
    routed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (alert_id, revision)
);

-- Who is told, per jurisdiction. Loaded from CSV by prahari-admin.
CREATE TABLE directory (
    recipient_id  text PRIMARY KEY,
    jurisdiction  text NOT NULL,         -- district name as in the boundary layer, or STATE_COMMAND_CENTRE
    role          text NOT NULL,         -- sp, addl_sp, control_room, sho, range_ig, command_centre, interstate
    name          text NOT NULL,
    phone         text,                  -- E.164
    email         text,
    level         integer NOT NULL CHECK (level >= 1),  -- escalation level: 1 told first
    lang          text NOT NULL DEFAULT 'en' CHECK (lang IN ('en','hi')),
    active        boolean NOT NULL DEFAULT true,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX directory_jurisdiction_idx ON directory (jurisdiction, level);

CREATE TABLE directory_audit (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text NOT NULL,
    recipient_id text NOT NULL,
    before    jsonb,
    after     jsonb
);

-- One row per (alert, recipient, channel, escalation level): the unique key
-- that makes a redelivered routed message harmless.
CREATE TABLE notifications (
    notification_id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    alert_id         uuid NOT NULL REFERENCES alerts(alert_id),
    recipient_id     text NOT NULL,
    channel          text NOT NULL CHECK (channel IN ('sms','email')),
    level            integer NOT NULL,
    address          text NOT NULL,          -- phone or e-mail the message went to
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending','sending','sent','delivered','failed','cancelled')),
    client_ref       text NOT NULL UNIQUE,   -- reused on every retry (SMS client_ref / e-mail Message-ID)
    provider         text,
    provider_message_id text,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    last_error       text,
    parts            integer,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    delivered_at     timestamptz,
    UNIQUE (alert_id, recipient_id, channel, level)
);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE state IN ('pending','sending');

CREATE TABLE acknowledgements (
    alert_id   uuid PRIMARY KEY REFERENCES alerts(alert_id),
    at         timestamptz NOT NULL DEFAULT now(),
    by_recipient text NOT NULL,
    via        text NOT NULL            -- link | sms_reply | operator
);

-- Escalation timers: one due row per alert and level; replicas take them
-- with FOR UPDATE SKIP LOCKED.
CREATE TABLE escalations (
    alert_id  uuid NOT NULL REFERENCES alerts(alert_id),
    level     integer NOT NULL,
    due_at    timestamptz NOT NULL,
    done_at   timestamptz,
    PRIMARY KEY (alert_id, level)
);
CREATE INDEX escalations_due_idx ON escalations (due_at) WHERE done_at IS NULL;
