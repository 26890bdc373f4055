package data

import (
	"fmt"
	"strings"
)

// ReadOptions configures the file readers. The zero value reads files that
// follow the data contract exactly.
type ReadOptions struct {
	VillageCodeField string // property holding the village code in villages GeoJSON; default "code"
	VillageNameField string // property holding the village name; default "name"
	IgnoreUnknown    bool   // unknown CSV columns are ignored instead of an error
	// Encoding of the households CSV: "" reads UTF-8 (UTF-16 is recognised
	// by its byte order mark), or one that ParseEncoding accepts, such as
	// "windows-1252". GeoJSON is always UTF-8 (or UTF-16 with a mark).
	Encoding  string
	MaxErrors int // problems reported per file before stopping; default 50
}

// DefaultMaxErrors is how many problems a reader reports for one file before
// it stops: enough to show a pattern, few enough to read.
const DefaultMaxErrors = 50

func (o ReadOptions) withDefaults() ReadOptions {
	if o.VillageCodeField == "" {
		o.VillageCodeField = "code"
	}
	if o.VillageNameField == "" {
		o.VillageNameField = "name"
	}
	if o.MaxErrors <= 0 {
		o.MaxErrors = DefaultMaxErrors
	}
	return o
}

// Problem is one thing wrong with one row or feature. Line is the 1-based
// physical line of a CSV file (the header is line 1); Feature is the 1-based
// position of a GeoJSON feature in its collection; both are 0 for a problem
// with the whole file. Ref names the row or feature in words when that helps
// ("code 33.26.14.2009", or "household H1 round 2023-03-01" for rows that
// did not come from a file).
type Problem struct {
	Line    int
	Feature int
	Ref     string
	Field   string
	Msg     string
}

// String renders the problem as "line 17, field lon: reason".
func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.Line > 0:
		fmt.Fprintf(&b, "line %d", p.Line)
	case p.Feature > 0:
		fmt.Fprintf(&b, "feature %d", p.Feature)
	}
	if p.Ref != "" {
		if b.Len() > 0 {
			fmt.Fprintf(&b, " (%s)", p.Ref)
		} else {
			b.WriteString(p.Ref)
		}
	}
	if p.Field != "" {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		if strings.Contains(p.Field, "/") {
			b.WriteString("fields ")
		} else {
			b.WriteString("field ")
		}
		b.WriteString(p.Field)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// InputError collects every problem found in one file, so that a user fixes
// a file in one pass instead of one error per import attempt. More is set
// when the reader stopped after ReadOptions.MaxErrors problems.
type InputError struct {
	File     string
	Problems []Problem
	More     bool
}

// Error renders one problem on one line, several as an indented list.
func (e *InputError) Error() string {
	if len(e.Problems) == 1 && !e.More {
		return e.File + ": " + e.Problems[0].String()
	}
	var b strings.Builder
	if e.More {
		fmt.Fprintf(&b, "%s: more than %d problems:", e.File, len(e.Problems))
	} else {
		fmt.Fprintf(&b, "%s: %d problems:", e.File, len(e.Problems))
	}
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	if e.More {
		b.WriteString("\n  ... and more")
	}
	return b.String()
}

// problems gathers a file's problems up to a limit.
type problems struct {
	file string
	max  int
	list []Problem
	more bool
}

// add records p and reports whether the reader should go on looking.
func (ps *problems) add(p Problem) bool {
	if len(ps.list) >= ps.max {
		ps.more = true
		return false
	}
	ps.list = append(ps.list, p)
	return true
}

// err returns nil (an untyped nil, so callers' err != nil works) when
// nothing was wrong.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return &InputError{File: ps.file, Problems: ps.list, More: ps.more}
}
