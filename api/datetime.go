package api

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// instantPattern is a date, optionally followed by T (or a space) and as
// much of a time of day as the client writes, then a zone: 2017-12-01,
// 2017-12-01T (GDAL 3.6 writes dates so), 2017-12-01T10Z,
// 2017-12-01T10:30:00.5+07:00.
var instantPattern = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})(?:[Tt ](?:(\d{2})(?::(\d{2})(?::(\d{2})(?:\.\d+)?)?)?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$`)

// parseDatetime reads the datetime parameter: an instant, or an interval
// a/b whose ends may be open ("..", or empty as in "a/" and "/b"). A survey
// round is a calendar day, so each end is taken as the date it is written
// with: its time of day and its offset are read and checked, and do not move
// it to another day. The ends come back as YYYY-MM-DD, "" for an open one;
// callers select the latest round from..to, both ends included.
func parseDatetime(v string) (from, to string, err error) {
	lo, hi, isInterval := strings.Cut(v, "/")
	if from, err = instantDate(lo, isInterval); err != nil {
		return "", "", err
	}
	if !isInterval {
		if from == "" {
			return "", "", badRequest("parameter datetime: %q is not a date, a date-time or an interval", v)
		}
		return from, from, nil
	}
	if strings.Contains(hi, "/") {
		return "", "", badRequest("parameter datetime: %q has more than two ends", v)
	}
	if to, err = instantDate(hi, true); err != nil {
		return "", "", err
	}
	if from != "" && to != "" && from > to {
		return "", "", badRequest("parameter datetime: %q starts after it ends", v)
	}
	return from, to, nil
}

// instantDate is the date of one end of a datetime value; "" for an open
// end, which only an interval may have.
func instantDate(v string, inInterval bool) (string, error) {
	if inInterval && (v == "" || v == "..") {
		return "", nil
	}
	m := instantPattern.FindStringSubmatch(v)
	if m == nil {
		return "", badRequest("parameter datetime: %q is not a date (2017-12-01), a date-time (2017-12-01T00:00:00Z) or an open end (..)", v)
	}
	if _, err := time.Parse(time.DateOnly, m[1]); err != nil {
		return "", badRequest("parameter datetime: %q is not a calendar date", m[1])
	}
	for i, limit := range []int{24, 60, 61} {
		if m[2+i] == "" {
			continue
		}
		if n, _ := strconv.Atoi(m[2+i]); n >= limit {
			return "", badRequest("parameter datetime: %q is not a time of day", v)
		}
	}
	if z := m[5]; len(z) > 1 {
		if h, _ := strconv.Atoi(z[1:3]); h > 14 {
			return "", badRequest("parameter datetime: %q has no such UTC offset", v)
		}
	}
	return m[1], nil
}
