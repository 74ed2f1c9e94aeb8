-- SPDX-License-Identifier: Apache-2.0
-- Retention (purpose limitation, DPDP Act): after a configured number of days
-- (default 90) an alert keeps what it was and what became of it -- its
-- timeline, severity, category, platform, where it was routed, who was told,
-- status and outcome -- and loses what identifies or exposes the person:
-- post text and media links (content), name, account, phone, e-mail (subject),
-- the partner's raw item, the location hints and account id in the canonical
-- message, and the precise location. Quarantined items older than that lose
-- their raw bytes. Each redaction appends an `operator`/`redacted` timeline row.
--
-- Run daily by the prahari-retention CronJob (deploy/kubernetes) as an
-- operator login:  SELECT prahari_redact_older_than(90, 'retention-cronjob');
-- Idempotent: a redacted alert (redacted_at set) is not touched again.

CREATE OR REPLACE FUNCTION prahari_redact_older_than(days integer, actor text DEFAULT 'retention')
RETURNS integer
LANGUAGE plpgsql SECURITY INVOKER AS $fn$
DECLARE
    cutoff timestamptz;
    ids uuid[];
    n integer;
BEGIN
    IF days IS NULL OR days < 1 THEN
        RAISE EXCEPTION 'prahari_redact_older_than: days must be at least 1 (got %)', days;
    END IF;
    IF actor IS NULL OR actor = '' THEN
        RAISE EXCEPTION 'prahari_redact_older_than: actor must name who runs it';
    END IF;
    cutoff := now() - make_interval(days => days);

    ids := ARRAY(SELECT alert_id FROM alerts
                  WHERE redacted_at IS NULL AND received_at < cutoff
                  ORDER BY received_at
                  FOR UPDATE SKIP LOCKED);
    n := cardinality(ids);

    UPDATE alerts a
       SET subject = '{}'::jsonb,
           content = '{}'::jsonb,
           raw = NULL,
           canonical = a.canonical - 'account_id' - 'location_hints' - 'phone_e164'
                       || jsonb_build_object('redacted', true),
           redacted_at = now()
     WHERE a.alert_id = ANY (ids);

    UPDATE alert_revisions r
       SET raw = NULL,
           canonical = r.canonical - 'account_id' - 'location_hints' - 'phone_e164'
                       || jsonb_build_object('redacted', true)
     WHERE r.alert_id = ANY (ids);

    -- The method, radius, confidence and state stay (how well it was
    -- located); the point and the candidates (place names, PIN) go.
    UPDATE locations l
       SET lat = NULL,
           lon = NULL,
           detail = jsonb_strip_nulls(jsonb_build_object(
                        'method', l.detail->'method', 'radius_m', l.detail->'radius_m',
                        'confidence', l.detail->'confidence', 'state', l.detail->'state',
                        'area', l.detail->'area', 'redacted', true))
     WHERE l.alert_id = ANY (ids);

    INSERT INTO timeline (alert_id, stage, event, actor, detail)
        SELECT id, 'operator', 'redacted', actor, jsonb_build_object('retention_days', days)
          FROM unnest(ids) AS id;

    UPDATE quarantine
       SET raw = ''::bytea
     WHERE received_at < cutoff AND octet_length(raw) > 0;

    RETURN n;
END
$fn$;

REVOKE ALL ON FUNCTION prahari_redact_older_than(integer, text) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prahari_admin') THEN
        GRANT EXECUTE ON FUNCTION prahari_redact_older_than(integer, text) TO prahari_admin;
    END IF;
END
$$;
