package lab

import "github.com/wslab/wslab/results"

// Goal and Clause are results' goals: what a configuration must meet.
type (
	Goal   = results.Goal
	Clause = results.Clause
)

// ParseGoal is results.ParseGoal.
func ParseGoal(s string) (Goal, error) { return results.ParseGoal(s) }
