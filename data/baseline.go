package data

// FillBaseline sets every household's BaselineStatus to its status at the
// earliest round in which the same household_id appears, which is what the
// lifted indicators compare against.
func FillBaseline(hs []Household) {
	type first struct {
		round  Round
		status PovertyStatus
	}
	firsts := make(map[string]first, len(hs))
	for i := range hs {
		h := &hs[i]
		if f, ok := firsts[h.ID]; !ok || h.Round < f.round {
			firsts[h.ID] = first{h.Round, h.Status}
		}
	}
	for i := range hs {
		hs[i].BaselineStatus = firsts[hs[i].ID].status
	}
}
