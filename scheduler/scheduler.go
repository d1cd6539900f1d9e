package scheduler

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
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
	// entries are the scheduled cron entries by entryKey, jobs the current
	// job of each: a reload replaces the job (its config) without
	// touching an entry whose schedule did not change.
	entries map[string]entry
	jobs    map[string]Job
	// atStart are the AtStart jobs of the latest Set, fired by Start;
	// started reports whether Start ran; wg waits for those runs.
	atStart []Job
	started bool
	wg      sync.WaitGroup
}

// entry is one scheduled cron entry.
type entry struct {
	id   cron.EntryID
	spec string
}

// entryKey identifies a job across reloads: its kind, scope and brands
// (two brands sharing an account have a job each).
func entryKey(j Job) string { return j.Key() + "|" + strings.Join(j.Brands, ",") }

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

// Set replaces the scheduled jobs (e.g. after a config reload). Only
// entries whose schedule or scope changed are re-added: an unchanged one
// keeps its cron phase (an "@every 6h" sync is not pushed back by each
// reload) and runs the new job (its new config) when it next fires. Runs
// already in progress finish undisturbed.
func (s *Scheduler) Set(jobs []Job) error {
	for _, j := range jobs {
		if err := ParseSpec(j.Spec); err != nil {
			return fmt.Errorf("job %s: %w", j.Key(), err)
		}
	}
	want := map[string]Job{}
	for _, j := range jobs {
		want[entryKey(j)] = j
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries == nil {
		s.entries, s.jobs = map[string]entry{}, map[string]Job{}
	}
	for k, e := range s.entries {
		if j, ok := want[k]; !ok || j.Spec != e.spec {
			s.cron.Remove(e.id)
			delete(s.entries, k)
		}
	}
	s.jobs = want
	s.atStart = s.atStart[:0]
	for _, j := range jobs {
		if j.AtStart {
			s.atStart = append(s.atStart, j)
		}
	}
	for k, j := range want {
		if _, ok := s.entries[k]; ok {
			continue
		}
		id, err := s.cron.AddFunc(j.Spec, func() { s.fireKey(k) })
		if err != nil {
			return fmt.Errorf("job %s: %w", j.Key(), err)
		}
		s.entries[k] = entry{id: id, spec: j.Spec}
	}
	return nil
}

// fireKey runs the current job of an entry.
func (s *Scheduler) fireKey(k string) {
	s.mu.Lock()
	j, ok := s.jobs[k]
	s.mu.Unlock()
	if ok {
		s.fire(j)
	}
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
