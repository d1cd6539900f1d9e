-- Who holds an outbox row's claim: "replica/incarnation" of the sending
-- process. A restarted replica (same stable name, new incarnation) takes
-- back at once the claims its dead predecessor left, instead of waiting
-- for their lease to run out; '' for rows never claimed since this column
-- was added.
ALTER TABLE alert_outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
