package api

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// linkHold is how much of a page is held before its headers go out. A
// page's Link header (RFC 8288) can name the next page only once the page is
// done, so a page is held up to this size and sent with every link; a larger
// page is streamed from here on and its Link header lacks rel=next (the
// GeoJSON body's links still have it). At the default limit every page fits.
const linkHold = 1 << 20

// heldResponse holds the start of a body until the page is done or linkHold
// bytes have come, then sets the Link header and sends what it holds.
type heldResponse struct {
	w         http.ResponseWriter
	buf       bytes.Buffer
	committed bool
	// links gives the page's links; done says whether the page is complete
	// (so whether its next link is known).
	links func(done bool) []link
}

// Write holds p, or passes it on once the headers are out.
func (h *heldResponse) Write(p []byte) (int, error) {
	if h.committed {
		return h.w.Write(p)
	}
	h.buf.Write(p)
	if h.buf.Len() >= linkHold {
		if err := h.commit(false); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// commit sets the Link header and sends what is held.
func (h *heldResponse) commit(done bool) error {
	if h.committed {
		return nil
	}
	h.committed = true
	for _, l := range h.links(done) {
		if !done && l.Rel == "next" {
			continue
		}
		h.w.Header().Add("Link", linkHeaderValue(l))
	}
	_, err := h.w.Write(h.buf.Bytes())
	h.buf = bytes.Buffer{}
	return err
}

// linkHeaderValue is one link in the syntax of RFC 8288.
func linkHeaderValue(l link) string {
	var b strings.Builder
	b.WriteString("<" + l.Href + `>; rel="` + l.Rel + `"`)
	if l.Type != "" {
		b.WriteString(`; type="` + l.Type + `"`)
	}
	if l.Title != "" {
		b.WriteString("; title=" + strconv.Quote(l.Title))
	}
	return b.String()
}
