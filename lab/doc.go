// Package lab runs wslab's jobs end to end: it starts emulated boards in
// this process (or points at a real board by URL), runs scenarios on them
// with the load generator, stores every run in a results folder and turns
// the runs into plots and an HTML report.
//
//   - Lab: the default suite (connect ramp past the slot limit, echo on one
//     and on all slots, open-loop rate, stream, sink, HTTP GET and PUT,
//     churn) on three contrasting board models, and the report.
//   - Sweep: one scenario across buffer (and slot) configurations of one
//     model, the sweep figure, and the smallest-RAM configuration that meets
//     a goal such as "p99<20ms,throughput>1MB/s" (or which goal failed
//     closest).
//   - Compare: one scenario on several models or real boards, one table and
//     one figure.
package lab
