package results

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

// The markers around a Run record printed into a log (`wslab load --out -`),
// so the record can be cut out of container logs with other lines around it.
const (
	LogBegin = "-----BEGIN WSLAB RUN-----"
	LogEnd   = "-----END WSLAB RUN-----"
)

// WriteLog writes r to w as its JSON record between LogBegin and LogEnd
// lines.
func WriteLog(w io.Writer, r *Run) error {
	b, err := Marshal(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.Grow(len(b) + len(LogBegin) + len(LogEnd) + 2)
	buf.WriteString(LogBegin + "\n")
	buf.Write(b)
	buf.WriteString(LogEnd + "\n")
	_, err = w.Write(buf.Bytes())
	return err
}

// ReadLogs reads the Run records printed by WriteLog from a log, e.g. the
// output of `kubectl logs -l job-name=wslab-load --prefix --timestamps`,
// named file in errors. Lines outside markers are ignored. A line prefix
// (anything before the begin marker on its line, such as kubectl's
// "[pod/wslab-load-0-x/wslab] " or an RFC 3339 timestamp) is stripped from
// the record's lines: the same words, where a timestamp word may differ from
// line to line. So records of several pods may interleave (kubectl logs -f
// --prefix). A record begun and not ended (a pod killed while printing) or
// not decodable is an error that names the line it began on; ReadLogs
// returns the records it read before. Lines may be of any length.
func ReadLogs(file string, rd io.Reader) ([]*Run, error) {
	type open struct {
		line int
		buf  bytes.Buffer
	}
	var (
		runs   []*Run
		byPfx  = map[string]*open{}
		order  []string // open prefixes, oldest first
		lineNo int
		br     = bufio.NewReader(rd)
	)
	closeRec := func(pfx string) error {
		o := byPfx[pfx]
		delete(byPfx, pfx)
		for i, p := range order {
			if p == pfx {
				order = append(order[:i], order[i+1:]...)
				break
			}
		}
		r, err := unmarshal(fmt.Sprintf("%s:%d", file, o.line), o.buf.Bytes())
		if err != nil {
			return err
		}
		runs = append(runs, r)
		return nil
	}
	for {
		line, rerr := br.ReadString('\n')
		if rerr != nil && rerr != io.EOF {
			return runs, &FileError{file, rerr}
		}
		if rerr == io.EOF && line == "" {
			break
		}
		lineNo++
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if i := strings.Index(line, LogBegin); i >= 0 && strings.TrimSpace(line[i+len(LogBegin):]) == "" {
			pfx := line[:i]
			if o := byPfx[pfx]; o != nil {
				return runs, &FileError{file, fmt.Errorf("line %d: a record begun on line %d has no end marker", lineNo, o.line)}
			}
			byPfx[pfx] = &open{line: lineNo}
			order = append(order, pfx)
			continue
		}
		if len(order) == 0 {
			continue
		}
		if i := strings.Index(line, LogEnd); i >= 0 && strings.TrimSpace(line[i+len(LogEnd):]) == "" {
			pfx, found := "", false
			for _, p := range order {
				if rest, ok := cutPrefix(line, p); ok && strings.HasPrefix(rest, LogEnd) {
					pfx, found = p, true
					break
				}
			}
			if !found {
				continue // another pod's end marker
			}
			if err := closeRec(pfx); err != nil {
				return runs, err
			}
			continue
		}
		var o *open
		for _, p := range order {
			if rest, ok := cutPrefix(line, p); ok {
				o, line = byPfx[p], rest
				break
			}
		}
		if o == nil {
			continue // another pod's line between records
		}
		o.buf.WriteString(line)
		o.buf.WriteByte('\n')
	}
	if len(order) > 0 {
		return runs, &FileError{file, fmt.Errorf("line %d: a record begins here and has no end marker (log cut short?)", byPfx[order[0]].line)}
	}
	return runs, nil
}

// cutPrefix removes from line the prefix pfx of a begin marker's line: the
// same space-separated words, except that a word that is an RFC 3339
// timestamp matches any other timestamp.
func cutPrefix(line, pfx string) (string, bool) {
	if strings.HasPrefix(line, pfx) {
		return line[len(pfx):], true
	}
	if pfx == "" || !strings.HasSuffix(pfx, " ") {
		return "", false
	}
	for w := range strings.SplitSeq(pfx[:len(pfx)-1], " ") {
		lw, rest, ok := strings.Cut(line, " ")
		if !ok || (lw != w && !(isTimestamp(lw) && isTimestamp(w))) {
			return "", false
		}
		line = rest
	}
	return line, true
}

func isTimestamp(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}
