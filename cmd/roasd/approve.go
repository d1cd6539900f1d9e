package main

import (
	"context"
	"errors"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/scheduler"
)

// decidedBudget bounds the background work after one decision.
const decidedBudget = 5 * time.Minute

// decided applies, in the background, what an approval or skip of one of
// brand's actions changed: the brand's open actions are finished by the
// usual path under the verdicts lease (waiting while a verdicts run holds
// it), the approval messages refreshed, and the outbox delivered.
func (d *daemon) decided(brand string) {
	set := d.config()
	if set == nil || set.Brand(brand) == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), decidedBudget)
		defer cancel()
		if err := d.applyDecided(ctx, set.Brand(brand)); err != nil {
			d.log.Error("applying approved actions", "brand", brand, "err", err)
		}
	}()
}

// applyDecided runs the brand's ApplyDecided stage, then its notify
// stage, each as a job under its lease, retrying while another run holds
// it.
func (d *daemon) applyDecided(ctx context.Context, b *configs.Brand) error {
	stages := []scheduler.Stage{d.deps.ApplyDecided(d.reportURL)}
	for _, st := range d.deps.Stages {
		if st.Name == scheduler.StageNotify {
			stages = append(stages, st)
		}
	}
	for _, st := range stages {
		job := scheduler.Job{Name: st.Name, Scope: "brand:" + b.Name, Run: func(ctx context.Context, r *scheduler.Run) error { return st.Run(ctx, b, r) }}
		for {
			err := d.runner.Execute(ctx, job)
			if !errors.Is(err, scheduler.ErrSkipped) {
				if err != nil {
					return err
				}
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(2 * time.Second):
			}
		}
	}
	return nil
}
