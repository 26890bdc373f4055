package postgis

import (
	"fmt"
	"io"
	"time"
)

// progress redraws one line on a terminal: rows, rows/s, share of the file
// read and the time left at the current pace. A nil writer shows nothing.
type progress struct {
	w     io.Writer
	total int64
	start time.Time
	last  time.Time
}

func newProgress(w io.Writer, total int64) *progress {
	now := time.Now()
	return &progress{w: w, total: total, start: now, last: now}
}

func (p *progress) update(rows int, read int64) {
	if p.w == nil {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	rate := float64(rows) / el
	line := fmt.Sprintf("\rimporting households: %d rows, %.0f rows/s", rows, rate)
	if p.total > 0 && read > 0 {
		frac := float64(read) / float64(p.total)
		eta := time.Duration(el/frac*(1-frac)) * time.Second
		line += fmt.Sprintf(", %3.0f%%, ETA %s", frac*100, eta.Round(time.Second))
	}
	fmt.Fprint(p.w, line+"   ")
}

func (p *progress) done(rows int) {
	if p.w == nil {
		return
	}
	el := time.Since(p.start)
	fmt.Fprintf(p.w, "\rimporting households: %d rows in %s (%.0f rows/s); aggregating...\n",
		rows, el.Round(100*time.Millisecond), float64(rows)/el.Seconds())
}
