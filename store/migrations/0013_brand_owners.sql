-- Issue 15: the verdicts gate reads the newest finished run of each job
-- and scope by insertion order, and whether one is still running.
CREATE INDEX job_runs_key_id ON job_runs (job, scope, id DESC);
CREATE INDEX job_runs_running ON job_runs (job, scope) WHERE status = 'running';

-- Issue 15.2: a link conversion belongs to one brand (its owner), so that a
-- creator working for several brands is not counted in each. Existing rows
-- keep '' (no owner) and are counted nowhere until the daemon adopts them:
-- at start it gives each the brand of its creator when exactly one brand
-- lists that creator (store.AdoptLinkConversions); the others wait for a
-- re-import naming their brand.
ALTER TABLE link_conversions ADD COLUMN brand TEXT NOT NULL DEFAULT '';
CREATE INDEX link_conversions_brand_at ON link_conversions (brand, at);
