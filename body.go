package travelroam

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
)

// Size caps of response bodies, counted after any gzip is inflated.
const (
	maxResponseBytes = 128 << 20 // a catalogue page: 50,000 bundles are about 40 MiB
	maxSmallResponse = 1 << 20   // any other answer: a balance, a bundle, an eSIM, an order…
	maxPresize       = 8 << 20   // most bytes allocated up front for a declared Content-Length
)

// responseCap returns the most bytes of a 2xx answer the SDK reads for
// op: only the catalogue can be large. A small cap on the other routes
// bounds what a hostile or broken server (a gzip bomb on the balance
// route) can make one call cost.
func responseCap(op Operation) int64 {
	if o, _ := op.row(); o.large {
		return maxResponseBytes
	}
	return maxSmallResponse
}

// readResponse reads resp's body: a 2xx body up to limit (more is
// ErrResponseTooLarge), any other body up to maxErrorBody, cut there or
// where it broke off, without error, so that the status is never lost. The declared length
// only sizes the buffer: a 2xx that declares more than limit fails at once
// without reading (closing the body then closes the connection), a length
// within limit (and maxPresize) is read into one allocation of that size,
// and a body of unknown length costs about the cap in memory when it is
// over it. A 2xx body that breaks off comes with the bytes that arrived
// and the error: the start of a purchase answer may hold its order
// reference.
func readResponse(resp *http.Response, limit int64) ([]byte, error) {
	if resp.StatusCode/100 != 2 {
		// Whatever arrived of the body is kept: the status decides, even
		// when the body breaks off.
		b, _ := readCapped(resp.Body, min(limit, maxErrorBody), resp.ContentLength)
		return b, nil
	}
	size := resp.ContentLength
	if size > limit {
		return nil, ErrResponseTooLarge
	}
	if size <= 0 || size > maxPresize {
		// Unknown, or too large to trust before the bytes arrive.
		return readUnsized(resp.Body, limit, true)
	}
	b := make([]byte, size)
	if n, err := io.ReadFull(resp.Body, b); err != nil {
		return b[:n], err
	}
	rest, err := readCapped(resp.Body, limit-size, 0) // nothing, unless the length lied
	return append(b, rest...), err
}

// readUnsized reads r to its end, up to limit bytes; more is
// ErrResponseTooLarge, without bytes. A read error comes with the bytes
// read before it when partial is true (a response: its start may hold an
// order reference), else with none (a callback body: MaxBytesReader's
// refusal is a read error, and joining the chunks would double what an
// oversized body costs). Like io.ReadAll
// it reads into chunks that grow by half and joins them once, but only
// when the body fits, so that a body over the cap costs the cap, not
// twice as much.
func readUnsized(r io.Reader, limit int64, partial bool) ([]byte, error) {
	var (
		chunks [][]byte
		total  int64
		next   int64 = 512
	)
	for {
		buf := make([]byte, 0, min(next, limit+1-total))
		for len(buf) < cap(buf) {
			n, err := r.Read(buf[len(buf):cap(buf)])
			buf, total = buf[:len(buf)+n], total+int64(n)
			if err == io.EOF {
				if total > limit { // the last bytes came with EOF
					return nil, ErrResponseTooLarge
				}
				return slices.Concat(append(chunks, buf)...), nil
			}
			if err != nil {
				if total > limit {
					return nil, ErrResponseTooLarge
				}
				if !partial {
					return nil, err
				}
				return slices.Concat(append(chunks, buf)...), err
			}
		}
		if total > limit {
			return nil, ErrResponseTooLarge
		}
		chunks, next = append(chunks, buf), next+next/2
	}
}

// readCapped reads at most limit bytes of r; more is ErrResponseTooLarge.
// sizeHint is the declared Content-Length (-1 when unknown): the buffer
// is then allocated at that size at once, up to maxPresize, instead of
// being assembled from growing chunks and copied.
func readCapped(r io.Reader, limit, sizeHint int64) ([]byte, error) {
	lr := &io.LimitedReader{R: r, N: limit + 1}
	var (
		b   []byte
		err error
	)
	if sizeHint < 0 {
		b, err = io.ReadAll(lr)
	} else {
		// One byte more than declared, to see the end without growing.
		b, err = readInto(make([]byte, 0, min(sizeHint, limit, maxPresize)+1), lr)
	}
	if err != nil {
		return b, err
	}
	if int64(len(b)) > limit {
		return b[:limit], ErrResponseTooLarge
	}
	return b, nil
}

// readInto appends all of r to b, growing it only when it is full.
func readInto(b []byte, r io.Reader) ([]byte, error) {
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append pick the next size
		}
	}
}

// utf8BOM is the UTF-8 byte order mark.
var utf8BOM = []byte("\ufeff")

// trimBOM returns b without a leading UTF-8 byte order mark. PHP prints
// one before the JSON when a file it runs was saved with it, and RFC 8259
// lets a parser ignore it; the SDK's JSON decoders would refuse it.
func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, utf8BOM) }

// minObjectBytes is the fewest bytes per JSON object an answer may
// average: a real one (a bundle, a country, a user) takes 40 bytes or
// more, while `[{},{},…]` takes 3 and decodes into hundreds of bytes
// each. Refusing such an answer keeps what one call allocates a small
// multiple of its size cap.
const minObjectBytes = 16

// errTooManyObjects reports an answer whose objects are too small to be
// real: decoding it would cost far more memory than its size.
var errTooManyObjects = errors.New("the answer holds more objects than its size allows (at least 16 bytes each)")

// checkObjectDensity refuses a 2xx body whose JSON objects average fewer
// than minObjectBytes bytes. Braces inside strings count too, which only
// makes a real answer look denser.
func checkObjectDensity(b []byte) error {
	if objects := bytes.Count(b, []byte("{")); objects > 16 && objects > len(b)/minObjectBytes {
		return errTooManyObjects
	}
	return nil
}
