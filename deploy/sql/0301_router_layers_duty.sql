-- SPDX-License-Identifier: Apache-2.0
-- Router, issue 5: jurisdiction layers beyond district/state (police districts,
-- police-station areas: `prahari-admin boundaries import --layer police_district
-- --parent-property P`, parent in boundaries.parent) and optional duty windows
-- per directory row (duty_days "mon-fri", duty_hours "09:00-18:00" IST, may
-- cross midnight; NULL = always). Old rows stay valid (NULL windows).
ALTER TABLE boundary_versions DROP CONSTRAINT IF EXISTS boundary_versions_layer_check;
ALTER TABLE boundary_versions ADD CONSTRAINT boundary_versions_layer_check
    CHECK (layer ~ '^[a-z][a-z0-9_]{0,31}$');

ALTER TABLE directory ADD COLUMN IF NOT EXISTS duty_days text;
ALTER TABLE directory ADD COLUMN IF NOT EXISTS duty_hours text;
