-- Issue 15: the verdicts gate reads the newest finished run of each job
-- and scope by insertion order, and whether one is still running.
CREATE INDEX job_runs_key_id ON job_runs (job, scope, id DESC);
CREATE INDEX job_runs_running ON job_runs (job, scope) WHERE status = 'running';
