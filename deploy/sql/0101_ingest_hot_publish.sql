-- SPDX-License-Identifier: Apache-2.0
-- prahari-ingest: cheaper acknowledgement bookkeeping (idempotent).
-- alerts_outbox_idx (0001) is read by no query: the outbox publishes from
-- memory after the commit and the reconciler reads alerts_republish_due_idx
-- (0100). Its predicate names published_revision, which made every
-- "published" UPDATE a non-HOT update writing a new entry into every index of
-- alerts. Without it, and with free space left in each page, PostgreSQL can
-- record the acknowledgement as a heap-only tuple.
DROP INDEX IF EXISTS alerts_outbox_idx;
ALTER TABLE alerts SET (fillfactor = 50);
