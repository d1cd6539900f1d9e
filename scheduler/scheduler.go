package scheduler

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Scheduler runs jobs on their cron schedules until stopped.
type Scheduler struct {
	runner *Runner
	// Jitter delays each scheduled run by a random amount up to it, so
	// replicas and accounts don't all call the platforms at once.
	jitter time.Duration

	cron   *cron.Cron
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	ids    []cron.EntryID
	// atStart are the AtStart jobs of the latest Set, fired by Start;
	// started reports whether Start ran; wg waits for those runs.
	atStart []Job
	started bool
	wg      sync.WaitGroup
}

// New returns a scheduler that runs jobs through runner.
func New(runner *Runner, jitter time.Duration) *Scheduler {
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{
		runner: runner,
		jitter: jitter,
		cron:   cron.New(cron.WithLocation(time.UTC)),
		ctx:    ctx,
		cancel: cancel,
	}
}

// ParseSpec checks a schedule in the syntax Set accepts (5-field cron or
// descriptors such as "@every 15m").
func ParseSpec(spec string) error {
	_, err := cron.ParseStandard(spec)
	if err != nil {
		return fmt.Errorf("schedule %q: %w", spec, err)
	}
	return nil
}

// Set replaces the scheduled jobs (e.g. after a config reload). Runs
// already in progress finish undisturbed.
func (s *Scheduler) Set(jobs []Job) error {
	for _, j := range jobs {
		if err := ParseSpec(j.Spec); err != nil {
			return fmt.Errorf("job %s: %w", j.Key(), err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.ids {
		s.cron.Remove(id)
	}
	s.ids = s.ids[:0]
	s.atStart = s.atStart[:0]
	for _, j := range jobs {
		if j.AtStart {
			s.atStart = append(s.atStart, j)
		}
		j := j
		id, err := s.cron.AddFunc(j.Spec, func() { s.fire(j) })
		if err != nil {
			return fmt.Errorf("job %s: %w", j.Key(), err)
		}
		s.ids = append(s.ids, id)
	}
	return nil
}

func (s *Scheduler) fire(j Job) {
	if s.jitter > 0 {
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(rand.N(s.jitter)):
		}
	}
	if s.ctx.Err() != nil {
		return
	}
	err := s.runner.Execute(s.ctx, j)
	if err != nil && !errors.Is(err, ErrSkipped) && s.ctx.Err() == nil {
		s.runner.log().Error("scheduled job failed after retries", "job", j.Key(), "err", err)
	}
}

// Start begins firing jobs on their schedules, and runs the AtStart jobs
// once now.
func (s *Scheduler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return
	}
	s.started = true
	s.cron.Start()
	for _, j := range s.atStart {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.fire(j)
		}()
	}
}

// Stop stops new runs, lets running jobs finish for up to grace, then
// cancels them and waits for them to return. It is safe to call twice.
func (s *Scheduler) Stop(grace time.Duration) {
	// cron's Stop context is done once every running job has returned;
	// the AtStart runs are waited for too.
	done := s.cron.Stop().Done()
	all := make(chan struct{})
	go func() {
		<-done
		s.wg.Wait()
		close(all)
	}()
	select {
	case <-all:
	case <-time.After(grace):
		s.cancel()
		<-all
	}
	s.cancel()
}
