package main

// Exit statuses every job command shares.
const (
	// exitFailed: an error, or a run that measured nothing.
	exitFailed = 1
	// exitUsage: bad flags or arguments.
	exitUsage = 2
	// exitThreshold: the command ran, but a --threshold or --goal was
	// crossed, or (diff) a figure got significantly worse.
	exitThreshold = 3
)
