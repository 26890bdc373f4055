package api

import (
	"testing"
	"time"
)

// FuzzParseDatetime feeds the datetime parser anything: it must never
// panic, and what it accepts must be one or two calendar dates in order.
func FuzzParseDatetime(f *testing.F) {
	for _, s := range []string{"2017-12-01", "2017-12-01T/2017-12-01T", "../2019-06-01T", "2019-06-01/", "/2018-01-01",
		"2019-06-01T10:30:00.5+07:00", "2017-12-01T25:00Z", "../..", "a/b/c", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		from, to, err := parseDatetime(v)
		if err != nil {
			return
		}
		for _, d := range []string{from, to} {
			if d == "" {
				continue
			}
			if _, perr := time.Parse(time.DateOnly, d); perr != nil {
				t.Fatalf("%q accepted with end %q", v, d)
			}
		}
		if from != "" && to != "" && from > to {
			t.Fatalf("%q accepted as %s after %s", v, from, to)
		}
	})
}
