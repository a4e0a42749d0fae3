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
// does not depend on a QR encoder (github.com/skip2/go-qrcode).
package qr

import (
	"errors"
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// DefaultSize is the width and height in pixels of a PNG made with a size
// of 0 or less: large enough to scan from a screen or a printout.
const DefaultSize = 320

// MaxSize is the largest PNG size accepted, to bound memory use.
const MaxSize = 4096

// level is medium error correction (about 15 % of the symbol can be
// damaged): the usual choice for activation codes, and a smaller symbol
// than higher levels.
const level = qrcode.Medium

// PNG returns a QR code of code as a square PNG image of size×size pixels
// (DefaultSize when size is 0 or less; at most MaxSize), black on white
// with a quiet zone, at medium error correction. A size too small for the
// symbol gives a larger image.
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
	b, err := q.PNG(size)
	if err != nil {
		return nil, errors.New("qr: encoding the PNG failed")
	}
	return b, nil
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
	return render(q.Bitmap()), nil
}

func newCode(code string) (*qrcode.QRCode, error) {
	if code == "" {
		return nil, errors.New("qr: nothing to encode: the code is empty")
	}
	q, err := qrcode.New(code, level)
	if err != nil {
		// The encoder's errors may quote the content: keep only the size.
		return nil, fmt.Errorf("qr: cannot encode %d bytes in a QR code", len(code))
	}
	return q, nil
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
