package lenient

// Interner shares one copy of each repeated short string (country names,
// regions, groups, speeds…) within one decoding, so that a catalogue
// naming "Turkey" 5,000 times holds it once. A nil *Interner shares
// nothing. It is not safe for concurrent use: make one per decoding.
type Interner struct{ m map[string]string }

// Limits of an Interner: the strings it shares, and how many.
const (
	maxInternLen = 32
	maxInterned  = 4096
)

// NewInterner returns an empty Interner.
func NewInterner() *Interner { return &Interner{} }

// ReadString is [ReadString], sharing the copies of short strings sent
// without escapes.
func (in *Interner) ReadString(raw []byte) (string, error) {
	n := len(raw)
	if in == nil || n < 2 || n > maxInternLen+2 || raw[0] != '"' || raw[n-1] != '"' || !plain(raw[1:n-1]) {
		return ReadString(raw)
	}
	inner := raw[1 : n-1]
	if s, ok := in.m[string(inner)]; ok {
		return s, nil
	}
	s := string(inner)
	if in.m == nil {
		in.m = make(map[string]string, 64)
	}
	if len(in.m) < maxInterned {
		in.m[s] = s
	}
	return s, nil
}
