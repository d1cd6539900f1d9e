package scheduler

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// JobError is a job that failed in RunOnce.
type JobError struct {
	Job Job
	Err error
}

// RunOnce runs every job of jobs once, as `roasd run --once` does: the
// sync jobs of one scope (an ad account, an advertiser, a shop) run one
// after another in their order, different scopes run concurrently, and the
// brand stages (scope "brand:…") run in their order once every sync has
// finished, since they read what the syncs stored; a Gated stage (a
// brand's verdicts) is skipped (and fails) when an earlier job of one of its
// brands (Job.Brands: a sync, or a stage before it such as reconcile)
// failed in this pass. exec runs one job (e.g.
// Runner.Execute, which records it and retries). RunOnce returns the failed
// jobs in the order of jobs; it stops starting jobs when ctx is cancelled.
func RunOnce(ctx context.Context, jobs []Job, exec func(context.Context, Job) error) []JobError {
	errs := make([]error, len(jobs))
	var lanes [][]int
	laneOf := map[string]int{}
	var stages []int
	for i, j := range jobs {
		if strings.HasPrefix(j.Scope, "brand:") {
			stages = append(stages, i)
			continue
		}
		l, ok := laneOf[j.Scope]
		if !ok {
			l = len(lanes)
			laneOf[j.Scope] = l
			lanes = append(lanes, nil)
		}
		lanes[l] = append(lanes[l], i)
	}
	run := func(i int) {
		if err := ctx.Err(); err != nil {
			errs[i] = err
			return
		}
		errs[i] = exec(ctx, jobs[i])
	}
	var wg sync.WaitGroup
	for _, lane := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, i := range lane {
				run(i)
			}
		}()
	}
	wg.Wait()
	// A failed sync or reconcile may not have been recorded (the database
	// was what failed); the verdicts stage's own check of the recorded
	// runs would then judge missing data. This pass knows better. Only
	// the brands of the failed job wait: another brand's failure neither
	// withholds nor names this brand's verdicts.
	broke := map[string]string{} // brand → the first failed job of it
	breaks := func(i int) {
		for _, b := range jobs[i].Brands {
			if _, ok := broke[b]; !ok {
				broke[b] = jobs[i].Name + " " + jobs[i].Scope
			}
		}
	}
	for i, err := range errs {
		if err != nil {
			breaks(i)
		}
	}
	for _, i := range stages {
		if jobs[i].Gated {
			if why := brokeFor(broke, jobs[i]); why != "" {
				errs[i] = fmt.Errorf("not judging brand %s until its syncs recover: %s failed in this run", strings.TrimPrefix(jobs[i].Scope, "brand:"), why)
				continue
			}
		}
		run(i)
		if errs[i] != nil {
			breaks(i)
		}
	}
	var failed []JobError
	for i, err := range errs {
		if err != nil {
			failed = append(failed, JobError{Job: jobs[i], Err: err})
		}
	}
	return failed
}

// brokeFor names the failed job that withholds j's brands ("" for none).
func brokeFor(broke map[string]string, j Job) string {
	for _, b := range j.Brands {
		if why := broke[b]; why != "" {
			return why
		}
	}
	return ""
}
