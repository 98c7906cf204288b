package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"
)

// maxStartAhead bounds --start-at: a start further ahead is taken for a
// mistake (a wrong date or time zone), not a plan.
const maxStartAhead = 24 * time.Hour

// startAt is the --start-at flag of wslab load: a wall-clock time (RFC 3339)
// at which the shards of one run start together, so a rate run's shards do
// not drift by the seconds their pods took to start.
type startAt struct{ t time.Time }

func (s *startAt) String() string {
	if s == nil || s.t.IsZero() {
		return ""
	}
	return s.t.Format(time.RFC3339Nano)
}

func (s *startAt) Set(v string) error {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("want an RFC 3339 time such as %s (e.g. date -u -d +2min +%%FT%%TZ)",
			time.Now().UTC().Add(2*time.Minute).Truncate(time.Second).Format(time.RFC3339))
	}
	s.t = t
	return nil
}

// register adds --start-at to fs.
func (s *startAt) register(fs *flag.FlagSet) {
	fs.Var(s, "start-at", "wait until this wall-clock `TIME` (RFC 3339, e.g. 2026-11-30T15:00:00Z) before the first dial, so shards start together")
}

// wait blocks until the start time, or returns at once when none was given.
// A time already past is not refused (a shard whose pod started late still
// runs) but warned about on stderr with how late it is; a time more than
// maxStartAhead ahead is refused. It returns ctx's error if ctx ends first.
func (s *startAt) wait(ctx context.Context, now func() time.Time, stderr io.Writer) error {
	if s.t.IsZero() {
		return nil
	}
	d := s.t.Sub(now())
	switch {
	case d > maxStartAhead:
		return fmt.Errorf("--start-at %s is %s ahead, more than %s: check the date and time zone",
			s, d.Round(time.Second), maxStartAhead)
	case d <= 0:
		fmt.Fprintf(stderr, "wslab load: warning: --start-at %s passed %s ago; starting now, out of step with the other shards\n",
			s, (-d).Round(time.Millisecond))
		return nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
