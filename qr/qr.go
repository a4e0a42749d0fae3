// Package qr renders eSIM activation codes as QR codes: a PNG image to
// show in an app, an e-mail or a web page, and a compact text rendering
// for terminals.
//
// It takes any string, normally the activation code of an eSIM:
//
//	ac, err := assignment.ActivationCode()
//	if err != nil { … }
//	png, err := qr.PNG(ac.LPA(), 0)
//
// An activation code is a secret like a password: whoever scans it can
// install the eSIM. Serve the image only to its buyer, and do not log it.
//
// The package is separate from package travelroam so that the SDK itself
// does not depend on a QR encoder (github.com/piglig/go-qr).
package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	goqr "github.com/piglig/go-qr"
)

// DefaultSize is the width and height in pixels of a PNG made with a size
// of 0 or less: large enough to scan from a screen or a printout.
const DefaultSize = 320

// MaxSize is the largest PNG size accepted, to bound memory use.
const MaxSize = 4096

// level is medium error correction (about 15 % of the symbol can be
// damaged): the usual choice for activation codes, and a smaller symbol
// than higher levels.
const level = goqr.Medium

// quietZone is the light border around the symbol, in modules: four, as
// the QR code standard requires.
const quietZone = 4

// PNG returns a QR code of code as a square PNG image of size×size pixels
// (DefaultSize when size is 0 or less; at most MaxSize), black on white
// with a quiet zone, at medium error correction. A size too small for the
// symbol gives a larger image.
//
// Every module is a square of the same whole number of pixels, the largest
// that fits the symbol and a quiet zone of four modules; the pixels left
// over widen the quiet zone, so the symbol is centred.
//
// Errors never quote code.
func PNG(code string, size int) ([]byte, error) {
	if size > MaxSize {
		return nil, fmt.Errorf("qr: size %d is above the maximum %d", size, MaxSize)
	}
	if size <= 0 {
		size = DefaultSize
	}
	q, err := newCode(code)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, draw(q, size)); err != nil {
		return nil, errors.New("qr: encoding the PNG failed")
	}
	return b.Bytes(), nil
}

// Terminal returns a QR code of code as text for a terminal: each line
// holds two rows of modules drawn with the half-block characters "▀", "▄",
// "█" and space, with a quiet zone of four modules around the symbol, and
// ends with a newline. Light modules are drawn as blocks, so the code
// scans on a terminal with a dark background and light text (the usual
// default); print it in a monospaced font without line spacing.
//
// Errors never quote code.
func Terminal(code string) (string, error) {
	q, err := newCode(code)
	if err != nil {
		return "", err
	}
	return render(bitmap(q)), nil
}

// newCode encodes code at medium error correction in the smallest version
// that holds it.
func newCode(code string) (*goqr.QrCode, error) {
	if code == "" {
		return nil, errors.New("qr: nothing to encode: the code is empty")
	}
	// The encoder's errors may quote the content: keep only the size.
	tooLong := fmt.Errorf("qr: cannot encode %d bytes in a QR code", len(code))
	segs, err := segments(code)
	if err != nil {
		return nil, tooLong
	}
	// No mask forced (-1), and no raising of the error correction level
	// above medium (false): the same symbol as the documented level.
	q, err := goqr.EncodeSegments(segs, level, goqr.MinVersion, goqr.MaxVersion, -1, false)
	if err != nil {
		return nil, tooLong
	}
	return q, nil
}

// segments splits code into the segments that make the smallest symbol.
// An activation code mixes lower-case host names (byte mode) with an
// upper-case matching ID (alphanumeric mode, 5.5 bits a character instead
// of 8), so a mix of modes can save a version. The mix is used only for
// printable ASCII without a backslash, where it chooses among numeric,
// alphanumeric and byte modes; anything else is one byte-mode segment of
// UTF-8, which every scanner reads (the mixed segmentation would put
// characters of the Shift JIS set in kanji mode).
//
// goqr.MakeSegmentsOptimally (v1.1.0) compares the text with the maximum
// version only at versions 1, 10 and 27, so a text that needs more than
// version 27 makes it loop for ever: it is asked for version 27 at most,
// and a longer code is one segment of the mode that holds all of it.
func segments(code string) ([]*goqr.QrSegment, error) {
	for i := range len(code) {
		if c := code[i]; c < ' ' || c > '~' || c == '\\' {
			return goqr.MakeSegments(code)
		}
	}
	const optimalMaxVersion = 27
	if segs, err := goqr.MakeSegmentsOptimally(code, level, goqr.MinVersion, optimalMaxVersion); err == nil {
		return segs, nil
	}
	return goqr.MakeSegments(code)
}

// bitmap returns q's modules (true = dark) with the quiet zone around
// them, one row per slice.
func bitmap(q *goqr.QrCode) [][]bool {
	n := q.Size() + 2*quietZone
	rows := make([][]bool, n)
	cells := make([]bool, n*n)
	for y := range rows {
		rows[y] = cells[y*n : (y+1)*n]
		for x := range rows[y] {
			rows[y][x] = q.Module(x-quietZone, y-quietZone)
		}
	}
	return rows
}

// draw paints q black on white on a size×size image (larger if the symbol
// and its quiet zone need more pixels), each module a square of the same
// whole number of pixels, centred.
func draw(q *goqr.QrCode, size int) *image.Paletted {
	n := q.Size()
	size = max(size, n+2*quietZone)
	scale := size / (n + 2*quietZone)
	offset := (size - n*scale) / 2
	// Palette index 0 is white, so a new image is all quiet zone; two
	// colours make a PNG of one bit per pixel.
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y := range n {
		top := (offset + y*scale) * img.Stride
		row := img.Pix[top : top+size]
		for x := range n {
			if q.Module(x, y) {
				start := offset + x*scale
				for i := range scale {
					row[start+i] = 1
				}
			}
		}
		for i := 1; i < scale; i++ {
			copy(img.Pix[top+i*img.Stride:], row)
		}
	}
	return img
}

// render draws bitmap (true = dark module) two rows per line; light
// modules are blocks. An odd last row is paired with a light row.
func render(bitmap [][]bool) string {
	var b strings.Builder
	for y := 0; y < len(bitmap); y += 2 {
		top := bitmap[y]
		for x := range top {
			bottomLight := true
			if y+1 < len(bitmap) {
				bottomLight = !bitmap[y+1][x]
			}
			b.WriteString(halfBlock(!top[x], bottomLight))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func halfBlock(topLight, bottomLight bool) string {
	switch {
	case topLight && bottomLight:
		return "█"
	case topLight:
		return "▀"
	case bottomLight:
		return "▄"
	}
	return " "
}
