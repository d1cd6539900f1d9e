-- The brand's reporting time zone beside its reconcile state, so a report
-- can say "reconciled through DAY at TIME" in the brand's zone without the
-- configuration ('' for states stored before: reports then use UTC).
ALTER TABLE reconcile_state ADD COLUMN timezone TEXT NOT NULL DEFAULT '';
