package data

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Text encodings of input files, as ReadOptions.Encoding and --encoding name
// them. The empty value reads UTF-8 and recognises UTF-16 by its byte order
// mark (or, without one, by the zero bytes of ASCII text in UTF-16).
const (
	EncodingUTF8        = "utf-8"
	EncodingWindows1252 = "windows-1252"
	EncodingUTF16       = "utf-16"
)

// ParseEncoding returns the canonical name of an encoding as users type it
// (utf8, cp1252, latin1, utf-16le...). Latin-1 is read as Windows-1252, its
// superset for printable characters, as web browsers do.
func ParseEncoding(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return "", nil
	case "utf-8", "utf8":
		return EncodingUTF8, nil
	case "windows-1252", "cp1252", "windows1252", "latin1", "latin-1", "iso-8859-1", "iso8859-1", "ansi":
		return EncodingWindows1252, nil
	case "utf-16", "utf16", "utf-16le", "utf-16be", "unicode":
		return EncodingUTF16, nil
	}
	return "", fmt.Errorf("encoding %q is not one of utf-8, windows-1252, utf-16", s)
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// textReader returns r decoded to UTF-8 and the encoding it was read in
// ("" for UTF-8 as it is, whose validity the readers check value by value).
// A byte order mark wins over enc: it cannot be mistaken, while a flag set
// in the environment for one file may be wrong for the next.
func textReader(r io.Reader, enc string) (*bufio.Reader, string, error) {
	enc, err := ParseEncoding(enc)
	if err != nil {
		return nil, "", err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	b, _ := br.Peek(4)
	utf16 := func(e unicode.Endianness) (*bufio.Reader, string, error) {
		dec := unicode.UTF16(e, unicode.ExpectBOM).NewDecoder()
		if !bytes.HasPrefix(b, bomUTF16LE) && !bytes.HasPrefix(b, bomUTF16BE) {
			dec = unicode.UTF16(e, unicode.IgnoreBOM).NewDecoder()
		}
		return bufio.NewReaderSize(transform.NewReader(br, dec), 64<<10), EncodingUTF16, nil
	}
	switch {
	case bytes.HasPrefix(b, bomUTF8):
		_, _ = br.Discard(len(bomUTF8))
		return br, "", nil
	case bytes.HasPrefix(b, bomUTF16LE):
		return utf16(unicode.LittleEndian)
	case bytes.HasPrefix(b, bomUTF16BE):
		return utf16(unicode.BigEndian)
	}
	// Without a mark, UTF-16 shows as a zero byte beside each ASCII
	// character; CSV and JSON text never holds a zero byte otherwise.
	le := len(b) == 4 && b[0] != 0 && b[1] == 0 && b[3] == 0
	be := len(b) == 4 && b[0] == 0 && b[1] != 0 && b[2] == 0
	switch {
	case be:
		return utf16(unicode.BigEndian)
	case le || enc == EncodingUTF16:
		return utf16(unicode.LittleEndian)
	case enc == EncodingWindows1252:
		return bufio.NewReaderSize(transform.NewReader(br, charmap.Windows1252.NewDecoder()), 64<<10), enc, nil
	}
	return br, "", nil
}

// textFault says what is wrong with a value's text, or "" when nothing is:
// bytes that are not UTF-8, or U+FFFD, the mark an earlier conversion leaves
// where it could not read a character (the name is then already lost).
// fix is the advice for invalid bytes, which differs between CSV and GeoJSON.
func textFault(s string, fix func(cp1252 bool) string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return ""
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			if as, ok := asWindows1252(s); ok {
				return fmt.Sprintf("%s is not valid UTF-8 (byte 0x%02X); read as Windows-1252 it is %q: %s",
					strconv.Quote(s), s[i], as, fix(true))
			}
			return fmt.Sprintf("%s is not valid UTF-8 (byte 0x%02X): %s", strconv.Quote(s), s[i], fix(false))
		case r == utf8.RuneError:
			return fmt.Sprintf("%q holds U+FFFD, the replacement character: an earlier conversion lost a character here; "+
				"correct the value in the source and export it again as UTF-8", s)
		}
		i += size
	}
	return ""
}

// asWindows1252 decodes s as Windows-1252, reporting false when s holds a
// byte that Windows-1252 leaves undefined or a control character, so that
// the advice to read the file as Windows-1252 is given only when it fits.
func asWindows1252(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 0x81 || c == 0x8D || c == 0x8F || c == 0x90 || c == 0x9D:
			return "", false
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			return "", false
		}
	}
	out, err := charmap.Windows1252.NewDecoder().String(s)
	return out, err == nil
}

// csvTextFix is the advice for a households file that is not UTF-8.
func csvTextFix(cp1252 bool) string {
	if cp1252 {
		return `the file looks like Windows-1252 (Excel's "CSV" on Windows): read it with --encoding windows-1252, or save it as "CSV UTF-8"`
	}
	return `save the file as UTF-8 ("CSV UTF-8" in Excel) or name its encoding with --encoding`
}

// geoJSONTextFix is the advice for a GeoJSON file that is not UTF-8, which
// RFC 7946 requires: there is no --encoding for GeoJSON, since one flag for
// every file would be wrong for the files that are UTF-8.
func geoJSONTextFix(cp1252 bool) string {
	if cp1252 {
		return "GeoJSON must be UTF-8: convert the file, e.g. iconv -f windows-1252 -t utf-8 in.geojson > out.geojson"
	}
	return "GeoJSON must be UTF-8: convert the file from its encoding, e.g. with iconv -f ENCODING -t utf-8"
}
