package memory

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"labmap/data"
	"labmap/data/cql"
)

var _ data.HouseholdStore = (*StaffStore)(nil)

// StaffStore is a memory store that also serves households to staff, for
// demonstrations with a tokens file (labmap serve --tokens-file). A plain
// Store keeps no household and serves none. Its audit is a list in memory,
// lost on restart, and a log line per read: PostGIS keeps the real audit.
type StaffStore struct {
	*Store
	log   *slog.Logger
	index atomic.Pointer[householdIndex]
	now   func() time.Time

	mu     sync.Mutex
	audit  []data.AuditRecord
	lastID int64
}

// householdIndex holds one dataset's households per round, sorted by id.
type householdIndex struct {
	rounds map[data.Round][]*data.Household
}

// WithHouseholds returns s serving the households of ds (the dataset s was
// built from) to staff, auditing each read to log.
func WithHouseholds(s *Store, ds data.Dataset, log *slog.Logger) *StaffStore {
	st := &StaffStore{Store: s, log: log, now: time.Now}
	st.index.Store(indexHouseholds(ds))
	return st
}

// Replace swaps in a new dataset, its aggregates and its households.
func (s *StaffStore) Replace(ds data.Dataset) error {
	if err := s.Store.Replace(ds); err != nil {
		return err
	}
	s.index.Store(indexHouseholds(ds))
	return nil
}

func indexHouseholds(ds data.Dataset) *householdIndex {
	ix := &householdIndex{rounds: map[data.Round][]*data.Household{}}
	for i := range ds.Households {
		h := &ds.Households[i]
		ix.rounds[h.Round] = append(ix.rounds[h.Round], h)
	}
	for _, hs := range ix.rounds {
		slices.SortFunc(hs, func(a, b *data.Household) int { return strings.Compare(a.ID, b.ID) })
	}
	return ix
}

// Households reads a page from one snapshot of the households, appends the
// audit record, and then hands the page to fn.
func (s *StaffStore) Households(ctx context.Context, q data.HouseholdQuery, fn func(*data.Household) error) (int, error) {
	page, matched, err := s.read(ctx, q)
	s.appendAudit(q.Audit, len(page), err)
	if err != nil {
		return 0, err
	}
	for _, h := range page {
		if err := fn(h); err != nil {
			return matched, err
		}
	}
	return matched, nil
}

func (s *StaffStore) read(ctx context.Context, q data.HouseholdQuery) ([]*data.Household, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	hs, ok := s.index.Load().rounds[q.Round]
	if !ok {
		return nil, 0, fmt.Errorf("%w: round %s is not in the dataset", data.ErrInvalidQuery, q.Round)
	}
	granted := make(map[string]bool, len(q.Villages))
	for _, v := range q.Villages {
		granted[v] = true
	}
	var page []*data.Household
	matched := 0
	for _, h := range hs {
		if !q.AllVillages && !granted[h.VillageCode] {
			continue
		}
		if q.Bound != nil && !data.InBound(*q.Bound, h.Loc) {
			continue
		}
		if !cql.Eval(q.Filter, func(name string) cql.Value { return data.HouseholdValue(h, name) }, nil) {
			continue
		}
		matched++
		if h.ID > q.After && (q.Limit == 0 || len(page) < q.Limit) {
			page = append(page, h)
		}
	}
	return page, matched, nil
}

func (s *StaffStore) appendAudit(e data.AuditEntry, rows int, err error) {
	s.mu.Lock()
	s.lastID++
	rec := data.AuditRecord{ID: s.lastID, At: s.now().UTC(), AuditEntry: e, Rows: rows, OK: err == nil}
	if err != nil {
		rec.Rows = 0
		rec.Error = err.Error()
	}
	s.audit = append(s.audit, rec)
	s.mu.Unlock()
	s.log.Info("audit: household read (demo store: this log and an in-memory list are the only audit)",
		"token_id", e.TokenID, "token", e.TokenName, "endpoint", e.Endpoint, "query", e.Query,
		"rows", rec.Rows, "ok", rec.OK, "error", rec.Error, "client", e.ClientAddr)
}

// Audit returns the in-memory audit records q selects, oldest first.
func (s *StaffStore) Audit(ctx context.Context, q data.AuditQuery) ([]data.AuditRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []data.AuditRecord
	for _, r := range s.audit {
		if r.At.Before(q.Since) || (q.TokenName != "" && r.TokenName != q.TokenName) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}
