// Package qgis writes QGIS's own formats for labmap's layers: QML styles
// (rule-based renderers with the web map's classes and colours, Indonesian
// field aliases), vector-tile renderers, and a whole .qgs project pointing
// at a running labmap server. The classes come from tiles.Choropleth, the
// one classification the MapLibre style and SLD use too.
package qgis

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// doc builds an XML document with the encoder doing the escaping, so names
// and expressions with quotes or ampersands cannot break the file. The first
// error sticks and is reported by bytes.
type doc struct {
	buf   bytes.Buffer
	enc   *xml.Encoder
	stack []string
	err   error
}

func newDoc(doctype string) *doc {
	d := &doc{}
	if doctype != "" {
		d.buf.WriteString(doctype + "\n")
	}
	d.enc = xml.NewEncoder(&d.buf)
	d.enc.Indent("", " ")
	return d
}

func attrs(kv []string) []xml.Attr {
	out := make([]xml.Attr, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, xml.Attr{Name: xml.Name{Local: kv[i]}, Value: kv[i+1]})
	}
	return out
}

// open starts an element with attributes given as name, value pairs.
func (d *doc) open(name string, kv ...string) {
	if d.err == nil {
		d.err = d.enc.EncodeToken(xml.StartElement{Name: xml.Name{Local: name}, Attr: attrs(kv)})
	}
	d.stack = append(d.stack, name)
}

func (d *doc) close() {
	name := d.stack[len(d.stack)-1]
	d.stack = d.stack[:len(d.stack)-1]
	if d.err == nil {
		d.err = d.enc.EncodeToken(xml.EndElement{Name: xml.Name{Local: name}})
	}
}

// leaf writes an element without content.
func (d *doc) leaf(name string, kv ...string) {
	d.open(name, kv...)
	d.close()
}

// text writes an element holding text.
func (d *doc) text(name, text string, kv ...string) {
	d.open(name, kv...)
	if d.err == nil && text != "" {
		d.err = d.enc.EncodeToken(xml.CharData(text))
	}
	d.close()
}

func (d *doc) bytes() ([]byte, error) {
	if d.err == nil && len(d.stack) != 0 {
		d.err = fmt.Errorf("unclosed element %s", d.stack[len(d.stack)-1])
	}
	if d.err == nil {
		d.err = d.enc.Flush()
	}
	if d.err != nil {
		return nil, fmt.Errorf("writing QGIS XML: %w", d.err)
	}
	d.buf.WriteByte('\n')
	return d.buf.Bytes(), nil
}

// rgba turns "#rrggbb" into QGIS's "r,g,b,a".
func rgba(hex string, alpha float64) string {
	h := strings.TrimPrefix(hex, "#")
	if len(h) != 6 {
		return "0,0,0," + strconv.Itoa(int(alpha*255+0.5))
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return "0,0,0," + strconv.Itoa(int(alpha*255+0.5))
	}
	return fmt.Sprintf("%d,%d,%d,%d", v>>16, (v>>8)&0xff, v&0xff, int(alpha*255+0.5))
}

// quoteField quotes a field name for a QGIS expression.
func quoteField(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// quoteString quotes a string literal for a QGIS expression.
func quoteString(s string) string {
	return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
}
