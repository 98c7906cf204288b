// Package plots draws wslab results with gonum/plot, as PNG and SVG.
//
// Each function takes runs (results.Run) and returns a *Figure, which saves
// itself as NAME.png and NAME.svg (Figure.Save) or writes one format to a
// writer (Figure.WriteTo). The figures are:
//
//   - LatencySpectrum: latency against percentile on a "nines" axis, one line
//     per run;
//   - LatencyOverTime: p50 and p99 per interval;
//   - ThroughputVsConns: messages per second against connections, one line
//     per board;
//   - HeapOverTime: the board's heap in use, with its budget;
//   - CPUOverTime: the board's CPU busy fraction between heap samples;
//   - BufferSweep: throughput, p99 and RAM against buffer size in three
//     aligned panels, with the recommended configuration marked;
//   - BoardComparison: grouped bars per scenario, one colour per board;
//   - RegressionHistory: one figure across commits over a shaded baseline
//     band;
//   - FieldFigure: a field scenario's run (ladder, nodrop, reconnect-storm,
//     reload, browser), from the data the load generator keeps in its
//     parameters; the report shows it beside the run's answer.
//
// Every figure has a title, axis labels with units and a legend beside the
// data (never over it). Rendering is deterministic: the same runs give the
// same bytes, which the golden-image tests rely on (go test ./plots -update
// rewrites testdata/*.png). The HTML report is in the report subpackage.
package plots
