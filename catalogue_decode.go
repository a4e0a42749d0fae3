package travelroam

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is the fast path of catalogue decoding: a single-pass,
// validating, reflection-free reader for the shapes Travel Roam sends.
// It decides nothing on its own: whenever the input is anything but
// ordinary (a type mismatch, a key that differs from a field name only in
// case, invalid JSON, extreme nesting), it reports ok=false and the caller
// decodes with encoding/json, which gives the answer (value or error).
// On every input it accepts, it gives exactly what encoding/json would;
// FuzzFastDecodeMatchesEncodingJSON checks that.

// maxJSONDepth is encoding/json's nesting limit.
const maxJSONDepth = 10000

// fastReader reads JSON from b at i.
type fastReader struct {
	b []byte
	i int
	// intern, when not nil, holds the short strings read so far (country
	// names, regions, groups, speeds…) so that a catalogue where "Turkey"
	// appears 5,000 times holds one copy.
	intern map[string]string
}

// maxIntern bounds the intern table of one decoding.
const maxIntern = 4096

func (r *fastReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (r *fastReader) peek() byte {
	r.ws()
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

// consume reads c after white space.
func (r *fastReader) consume(c byte) bool {
	if r.peek() == c {
		r.i++
		return true
	}
	return false
}

// word reads the literal w (true, false or null).
func (r *fastReader) word(w string) bool {
	if r.peek() != w[0] || !bytes.HasPrefix(r.b[r.i:], []byte(w)) {
		return false
	}
	r.i += len(w)
	return true
}

// end reports whether only white space is left.
func (r *fastReader) end() bool { return r.peek() == 0 && r.i == len(r.b) }

// rawString reads a string token and returns its contents as sent and
// whether they need unquoting.
func (r *fastReader) rawString() (raw []byte, escaped, ok bool) {
	if r.peek() != '"' {
		return nil, false, false
	}
	start := r.i + 1
	for j := start; j < len(r.b); j++ {
		switch c := r.b[j]; {
		case c == '"':
			r.i = j + 1
			return r.b[start:j], escaped, true
		case c == '\\':
			if j+1 >= len(r.b) {
				return nil, false, false
			}
			escaped = true
			j++
			switch r.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(r.b) || !isHex4(r.b[j+1:j+5]) {
					return nil, false, false
				}
				j += 4
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		case c >= utf8.RuneSelf:
			escaped = true // may need coercing to valid UTF-8
		}
	}
	return nil, false, false
}

// stringBytes reads a string and returns its decoded bytes, which alias b
// when no unquoting was needed.
func (r *fastReader) stringBytes() ([]byte, bool) {
	raw, escaped, ok := r.rawString()
	if !ok || !escaped || utf8.Valid(raw) && bytes.IndexByte(raw, '\\') < 0 {
		return raw, ok
	}
	return unquote(raw), true
}

// str reads a string.
func (r *fastReader) str() (string, bool) {
	b, ok := r.stringBytes()
	return string(b), ok
}

// internStr reads a string, sharing copies of repeated short ones.
func (r *fastReader) internStr() (string, bool) {
	b, ok := r.stringBytes()
	if !ok || r.intern == nil || len(b) > 64 {
		return string(b), ok
	}
	if s, found := r.intern[string(b)]; found {
		return s, true
	}
	s := string(b)
	if len(r.intern) < maxIntern {
		r.intern[s] = s
	}
	return s, true
}

// unquote decodes the contents of a valid JSON string exactly as
// encoding/json does (invalid UTF-8 and lone surrogates become U+FFFD).
func unquote(s []byte) []byte {
	out := make([]byte, 0, len(s)+2*utf8.UTFMax)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			i++
			switch s[i] {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				rr := hex4(s[i+1 : i+5])
				i += 5
				if utf16.IsSurrogate(rr) && i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' && isHex4(s[i+2:i+6]) {
					if dec := utf16.DecodeRune(rr, hex4(s[i+2:i+6])); dec != unicode.ReplacementChar {
						out = utf8.AppendRune(out, dec)
						i += 6
						continue
					}
				}
				if utf16.IsSurrogate(rr) {
					rr = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, rr)
				continue
			default: // '"', '\\', '/'
				out = append(out, s[i])
			}
			i++
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			rr, size := utf8.DecodeRune(s[i:])
			out = utf8.AppendRune(out, rr)
			i += size
		}
	}
	return out
}

func isHex4(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	for _, c := range b[:4] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// number reads a number token and returns it.
func (r *fastReader) number() ([]byte, bool) {
	r.ws()
	start, b, i := r.i, r.b, r.i
	digits := func() bool {
		j := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return nil, false
		}
	}
	r.i = i
	return b[start:i], true
}

// skip reads and validates any value at the given nesting depth and
// returns it.
func (r *fastReader) skip(depth int) ([]byte, bool) {
	var start int
	ok := false
	switch r.peek() {
	case '"':
		start = r.i
		_, _, ok = r.rawString()
	case '{':
		start = r.i
		ok = r.object(depth, func(key []byte) bool { _, ok := r.skip(depth + 1); return ok })
	case '[':
		start = r.i
		ok = r.array(depth, func() bool { _, ok := r.skip(depth + 1); return ok })
	case 't':
		start, ok = r.i, r.word("true")
	case 'f':
		start, ok = r.i, r.word("false")
	case 'n':
		start, ok = r.i, r.word("null")
	default:
		start = r.i
		_, ok = r.number()
	}
	return r.b[start:r.i], ok
}

// object reads an object, calling value with each key to read its value.
func (r *fastReader) object(depth int, value func(key []byte) bool) bool {
	if depth >= maxJSONDepth || !r.consume('{') {
		return false
	}
	if r.consume('}') {
		return true
	}
	for {
		key, ok := r.stringBytes()
		if !ok || !r.consume(':') || !value(key) {
			return false
		}
		if !r.consume(',') {
			return r.consume('}')
		}
	}
}

// array reads an array, calling elem to read each element.
func (r *fastReader) array(depth int, elem func() bool) bool {
	if depth >= maxJSONDepth || !r.consume('[') {
		return false
	}
	if r.consume(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if !r.consume(',') {
			return r.consume(']')
		}
	}
}

// Typed readers. null leaves the value as it is, as in encoding/json;
// a value of another type is a mismatch (ok=false).

func (r *fastReader) setString(dst *string) bool {
	if r.word("null") {
		return true
	}
	s, ok := r.str()
	if ok {
		*dst = s
	}
	return ok
}

func (r *fastReader) setBool(dst *bool) bool {
	switch {
	case r.word("null"):
	case r.word("true"):
		*dst = true
	case r.word("false"):
		*dst = false
	default:
		return false
	}
	return true
}

func (r *fastReader) setInt(dst *int64, bits int) bool {
	if r.word("null") {
		return true
	}
	tok, ok := r.number()
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(string(tok), 10, bits)
	if err != nil {
		return false // a fraction, an exponent or out of range: encoding/json fails
	}
	*dst = n
	return true
}

func (r *fastReader) setFloat(dst *float64) bool {
	if r.word("null") {
		return true
	}
	tok, ok := r.number()
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		return false
	}
	*dst = f
	return true
}

// setInterned is setString for short repeated strings.
func (r *fastReader) setInterned(dst *string) bool {
	if r.word("null") {
		return true
	}
	s, ok := r.internStr()
	if ok {
		*dst = s
	}
	return ok
}

// setStrings reads a []string: null gives nil, [] an empty list, and a
// null element "".
func (r *fastReader) setStrings(dst *[]string, depth int) bool {
	if r.word("null") {
		*dst = nil
		return true
	}
	out := []string{}
	ok := r.array(depth, func() bool {
		var s string
		ok := r.setInterned(&s)
		out = append(out, s)
		return ok
	})
	*dst = out
	return ok
}

// speedList reads the usual shapes of Speeds: a list of strings or null.
func (r *fastReader) speedList(depth int) ([]string, bool) {
	if r.word("null") {
		return nil, true
	}
	var out []string
	ok := r.array(depth, func() bool {
		var s string
		var ok bool
		if r.intern != nil {
			s, ok = r.internStr()
		} else {
			var raw []byte
			raw, ok = r.stringBytes()
			s = internSpeed(raw)
		}
		out = append(out, s)
		return ok
	})
	return out, ok
}

// countryList reads the usual shapes of CountryList: a list of country
// objects, codes or nulls; null, true or false.
func (r *fastReader) countryList(depth int) (CountryList, bool) {
	if r.word("null") || r.word("false") || r.word("true") {
		return nil, true
	}
	var out CountryList
	ok := r.array(depth, func() bool {
		var c Country
		var ok bool
		switch r.peek() {
		case '"':
			ok = r.setInterned(&c.ISO)
		case 'n':
			ok = r.word("null")
		default:
			ok = r.country(&c, depth+1)
		}
		out = append(out, c)
		return ok
	})
	return out, ok
}

// country reads a country object.
func (r *fastReader) country(c *Country, depth int) bool {
	return r.object(depth, func(key []byte) bool {
		switch string(key) {
		case "name":
			return r.setInterned(&c.Name)
		case "iso":
			return r.setInterned(&c.ISO)
		case "region":
			if r.intern != nil {
				return r.setInterned(&c.Region)
			}
			if r.word("null") {
				return true
			}
			s, ok := r.stringBytes()
			c.Region = internRegion(s)
			return ok
		}
		return r.unknownKey(key, depth+1, "name region iso")
	})
}

// fastOr reads a value with fast, or, when fast declines, hands the
// value's bytes to full, as encoding/json would hand them to the type's
// UnmarshalJSON.
func fastOr[T any](r *fastReader, dst *T, depth int, fast func(int) (T, bool), full func([]byte) (T, error)) bool {
	start := r.i
	if v, ok := fast(depth); ok {
		*dst = v
		return true
	}
	r.i = start
	raw, ok := r.skip(depth)
	if !ok {
		return false
	}
	v, err := full(raw)
	if err != nil {
		return false
	}
	*dst = v
	return true
}

// unmarshaler is a type with its own UnmarshalJSON.
type unmarshaler interface{ UnmarshalJSON([]byte) error }

// setCustom hands the next value, validated, to u as encoding/json would.
func (r *fastReader) setCustom(u unmarshaler, depth int) bool {
	v, ok := r.skip(depth)
	return ok && u.UnmarshalJSON(v) == nil
}

// foldsToKnown reports whether key matches one of the space-separated
// field names only when case is ignored (encoding/json then uses that
// field), or is not plain ASCII.
func foldsToKnown(key []byte, known string) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	for k := range strings.SplitSeq(known, " ") {
		if strings.EqualFold(string(key), k) {
			return true
		}
	}
	return false
}

// unknownKey skips the value of a key that is not one of the
// space-separated field names known, unless encoding/json would match it
// to one.
func (r *fastReader) unknownKey(key []byte, depth int, known string) bool {
	if foldsToKnown(key, known) {
		return false
	}
	_, ok := r.skip(depth)
	return ok
}

// bundleKeyList names the fields of a bundle on the wire.
const bundleKeyList = "name description groups countries dataAmount duration speed autostart unlimited roamingEnabled imageUrl price billingType allowances"

// bundle reads one bundle object into b (a zero Bundle). A key seen twice
// is left to encoding/json, whose handling of it is peculiar.
func (r *fastReader) bundle(b *Bundle, depth int) bool {
	var seen uint32
	return r.object(depth, func(key []byte) bool {
		field := bundleFieldIndex(key)
		if field < 0 {
			return r.unknownKey(key, depth+1, bundleKeyList)
		}
		if seen&(1<<field) != 0 {
			return false
		}
		seen |= 1 << field
		return r.bundleField(b, field, depth+1)
	})
}

// bundleFieldIndex returns the position of key in bundleKeyList, or -1.
func bundleFieldIndex(key []byte) int {
	switch string(key) {
	case "name":
		return 0
	case "description":
		return 1
	case "groups":
		return 2
	case "countries":
		return 3
	case "dataAmount":
		return 4
	case "duration":
		return 5
	case "speed":
		return 6
	case "autostart":
		return 7
	case "unlimited":
		return 8
	case "roamingEnabled":
		return 9
	case "imageUrl":
		return 10
	case "price":
		return 11
	case "billingType":
		return 12
	case "allowances":
		return 13
	}
	return -1
}

// bundleField reads the value of field number field (see bundleKeyList).
func (r *fastReader) bundleField(b *Bundle, field, depth int) bool {
	switch field {
	case 0: // name
		return r.setString(&b.Name)
	case 1: // description
		return r.setString(&b.Description)
	case 2: // groups
		return r.setStrings(&b.Groups, depth)
	case 3: // countries
		return fastOr(r, &b.Countries, depth, r.countryList, decodeCountries)
	case 4: // dataAmount
		return r.setInt(&b.DataAmountMB, 64)
	case 5: // duration
		n := int64(b.DurationDays)
		ok := r.setInt(&n, strconv.IntSize)
		b.DurationDays = int(n)
		return ok
	case 6: // speed
		return fastOr(r, (*[]string)(&b.Speed), depth, r.speedList, decodeSpeeds)
	case 7: // autostart
		return r.setBool(&b.Autostart)
	case 8: // unlimited
		return r.setBool(&b.Unlimited)
	case 9: // roamingEnabled
		return fastOr(r, &b.RoamingEnabled, depth, r.countryList, decodeCountries)
	case 10: // imageUrl
		return r.setString(&b.ImageURL)
	case 11: // price
		return r.setCustom(&b.Price, depth)
	case 12: // billingType
		return r.setInterned(&b.BillingType)
	}
	return r.setAllowances(&b.Allowances, depth) // allowances
}

// setAllowances reads a list of allowances: null gives nil, [] an empty
// list, a null element a zero Allowance.
func (r *fastReader) setAllowances(dst *[]Allowance, depth int) bool {
	if r.word("null") {
		*dst = nil
		return true
	}
	out := []Allowance{}
	ok := r.array(depth, func() bool {
		var a Allowance
		ok := r.word("null") || r.object(depth+1, func(key []byte) bool {
			switch string(key) {
			case "type":
				return r.setInterned(&a.Type)
			case "service":
				return r.setInterned(&a.Service)
			case "description":
				return r.setString(&a.Description)
			case "amount":
				return r.setFloat(&a.Amount)
			case "unit":
				return r.setInterned(&a.Unit)
			case "unlimited":
				return r.setBool(&a.Unlimited)
			}
			return r.unknownKey(key, depth+2, "type service description amount unit unlimited")
		})
		out = append(out, a)
		return ok
	})
	*dst = out
	return ok
}

// fastCatalogue decodes {"bundles": […], "pageCount", "rows",
// "pageSize", "data"} or a bare array of bundles. ok is false when
// encoding/json must decide; a "data" wrapper is left to the caller in
// data.
func fastCatalogue(b []byte) (page *CataloguePage, data []byte, ok bool) {
	r := &fastReader{b: b, intern: make(map[string]string, 64)}
	page = &CataloguePage{}
	if r.peek() == '[' {
		return page, nil, r.bundles(&page.Bundles, estimateBundles(b), 0) && r.end()
	}
	var seen [5]bool
	keys := [...]string{"bundles", "pageCount", "rows", "pageSize", "data"}
	ok = r.object(0, func(key []byte) bool {
		field := slicesIndex(keys[:], key)
		if field < 0 {
			return r.unknownKey(key, 1, "bundles pageCount rows pageSize data")
		}
		if seen[field] {
			return false
		}
		seen[field] = true
		switch field {
		case 0:
			return r.bundles(&page.Bundles, estimateBundles(b), 1)
		case 1:
			return r.setCount(&page.PageCount)
		case 2:
			return r.setCount(&page.Rows)
		case 3:
			return r.setCount(&page.PageSize)
		}
		var ok bool
		data, ok = r.skip(1)
		return ok
	})
	return page, data, ok && r.end()
}

func slicesIndex(keys []string, key []byte) int {
	for i, k := range keys {
		if string(key) == k {
			return i
		}
	}
	return -1
}

// setCount reads a flexInt count.
func (r *fastReader) setCount(dst *int) bool {
	var n flexInt
	if !r.setCustom(&n, 1) {
		return false
	}
	*dst = int(n)
	return true
}

// bundles reads a list of bundles.
func (r *fastReader) bundles(dst *[]Bundle, capacity, depth int) bool {
	if r.word("null") {
		*dst = nil
		return true
	}
	out := make([]Bundle, 0, capacity)
	ok := r.array(depth, func() bool {
		out = append(out, Bundle{})
		return r.word("null") || r.bundle(&out[len(out)-1], depth+1)
	})
	*dst = out
	return ok
}
