package qr

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goqr "github.com/piglig/go-qr"
	"github.com/stretchr/testify/require"
)

const (
	testLPA = "LPA:1$rsp.truphone.com$K2-1Z8QAB-3XYV7P"
	longLPA = "LPA:1$consumer-rsp.production.smdp-plus.very-long-operator-name.example.com$" +
		"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF" +
		"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF" +
		"$1.3.6.1.4.1.31746.1.500.200.101$1"
	nonASCII = "LPA:1$smdp.example.com$Ärger-Überweisung-日本語-🚀"
)

// decode reads the QR code in img, which must be drawn crisp and axis
// aligned with square modules of a whole number of pixels (the decoder's
// fast path, without its fallback for photos), at medium error correction.
func decode(t *testing.T, img image.Image) string {
	t.Helper()
	res, err := goqr.DecodeDetailed(img, goqr.WithFastPathOnly())
	require.NoError(t, err)
	require.Equal(t, goqr.Medium, res.Ecc, "error correction level")
	return res.Text
}

// quietZoneModules is the narrowest light margin around the symbol in img,
// in modules: the top-left finder pattern's first row is 7 modules of dark
// pixels.
func quietZoneModules(t *testing.T, img image.Image) float64 {
	t.Helper()
	b := img.Bounds()
	dark := func(x, y int) bool {
		r, _, _, _ := img.At(x, y).RGBA()
		return r < 0x8000
	}
	minX, minY, maxX, maxY := b.Max.X, b.Max.Y, -1, -1
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if dark(x, y) {
				minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
			}
		}
	}
	require.GreaterOrEqual(t, maxX, 0, "no dark pixel")
	run := 0
	for x := minX; x <= maxX && dark(x, minY); x++ {
		run++
	}
	module := float64(run) / 7
	margin := min(minX-b.Min.X, minY-b.Min.Y, b.Max.X-1-maxX, b.Max.Y-1-maxY)
	return float64(margin) / module
}

// roundTripCodes are the contents every rendering must decode back to:
// real activation codes (with and without the OID and the confirmation
// code flag), a long one, non-ASCII text, and a code long enough that the
// default size leaves one pixel per module.
var roundTripCodes = []struct{ name, code string }{
	{"real", testLPA},
	{"oid and confirmation", "LPA:1$smdp.example.com$ABC-123$1.3.6.1.4.1.31746$1"},
	{"long", longLPA},
	{"non-ASCII", nonASCII},
	// Every printable ASCII character, with runs long enough for each mode
	// (the decoder refuses kanji mode, which must not be used).
	{"ASCII", printableASCII()},
	// Beyond version 27: goqr.MakeSegmentsOptimally would never return.
	{"near the default size", strings.Repeat("K2-1Z8QAB-3XYV7P", 100)},
}

func printableASCII() string {
	var b strings.Builder
	for c := byte(' '); c <= '~'; c++ {
		b.WriteString(strings.Repeat(string(c), 1+int(c)%7))
	}
	return b.String()
}

func TestPNGRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range roundTripCodes {
		for _, size := range []int{0, -5, 1, 177, 256, 512} {
			b, err := PNG(tc.code, size)
			require.NoError(t, err, "%s at %d", tc.name, size)
			img, err := png.Decode(bytes.NewReader(b))
			require.NoError(t, err)
			want := size
			if size <= 0 {
				want = DefaultSize
			}
			// A size too small for the symbol gives the smallest image
			// that holds it; any other size is exact.
			want = max(want, minPixels(t, tc.code))
			require.Equal(t, want, img.Bounds().Dx(), "%s at %d", tc.name, size)
			require.Equal(t, want, img.Bounds().Dy(), "%s at %d", tc.name, size)
			// Quiet zone: the corner pixel is white.
			r, g, bl, _ := img.At(0, 0).RGBA()
			require.Equal(t, [3]uint32{0xffff, 0xffff, 0xffff}, [3]uint32{r, g, bl})
			require.GreaterOrEqual(t, quietZoneModules(t, img), 4.0, "%s at %d", tc.name, size)
			require.Equal(t, tc.code, decode(t, img), "%s at %d", tc.name, size)
		}
	}
}

// minPixels is the number of modules across code's symbol with its quiet
// zone, read from the terminal rendering: the smallest PNG that holds it.
func minPixels(t *testing.T, code string) int {
	t.Helper()
	text, err := Terminal(code)
	require.NoError(t, err)
	return len([]rune(strings.SplitN(text, "\n", 2)[0]))
}

func TestPNGErrors(t *testing.T) {
	t.Parallel()
	_, err := PNG("", 0)
	require.ErrorContains(t, err, "empty")
	_, err = PNG(testLPA, MaxSize+1)
	require.Error(t, err)
	secret := strings.Repeat("SECRETMATCHINGID", 400) // too long for any QR version
	_, err = PNG(secret, 0)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "SECRET")
	_, err = Terminal(secret)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "SECRET")
}

// terminalImage turns Terminal's text back into a picture, 4 pixels per
// module, light modules white.
func terminalImage(t *testing.T, text string) image.Image {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	width := len([]rune(lines[0]))
	const px = 4
	// Whether the upper and lower halves of a character are light.
	halves := map[rune][2]bool{'█': {true, true}, '▀': {true, false}, '▄': {false, true}, ' ': {false, false}}
	img := image.NewGray(image.Rect(0, 0, width*px, len(lines)*2*px))
	for y, line := range lines {
		runes := []rune(line)
		require.Len(t, runes, width, "line %d", y)
		for x, r := range runes {
			light, ok := halves[r]
			require.True(t, ok, "unexpected character %q", r)
			for dy := range 2 * px {
				for dx := range px {
					c := color.Gray{0}
					if light[dy/px] {
						c = color.Gray{255}
					}
					img.SetGray(x*px+dx, (2*y)*px+dy, c)
				}
			}
		}
	}
	return img
}

func TestTerminalRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range roundTripCodes {
		text, err := Terminal(tc.code)
		require.NoError(t, err, tc.name)
		require.True(t, strings.HasSuffix(text, "\n"))
		for _, r := range text {
			require.Contains(t, "█▀▄ \n", string(r))
		}
		lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		// Quiet zone of four modules: the first two lines (four module
		// rows) and the first and last four columns are all light.
		light := strings.Repeat("█", len([]rune(lines[0])))
		require.Equal(t, light, lines[0], tc.name)
		require.Equal(t, light, lines[1], tc.name)
		for _, l := range lines {
			require.True(t, strings.HasPrefix(l, "████"), "%s: left quiet zone", tc.name)
			require.True(t, strings.HasSuffix(l, "████"), "%s: right quiet zone", tc.name)
		}
		require.Equal(t, tc.code, decode(t, terminalImage(t, text)), tc.name)
	}
}

// TestDecodesAnotherEncoder keeps the round-trip tests honest: the
// decoder that reads back what this package draws comes from the same
// library as its encoder, so it must also read symbols drawn by an
// independent encoder. The files are Terminal's output when it used
// github.com/skip2/go-qrcode, each decoded by github.com/makiuchi-d/gozxing
// (a port of ZXing) when it was recorded.
func TestDecodesAnotherEncoder(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]string{
		"skip2_real.txt":      testLPA,
		"skip2_long.txt":      longLPA,
		"skip2_non_ascii.txt": nonASCII,
	} {
		text, err := os.ReadFile(filepath.Join("testdata", file))
		require.NoError(t, err)
		require.Equal(t, want, decode(t, terminalImage(t, string(text))), file)
	}
}

// TestSymbolSize checks that codes get the smallest symbol: an activation
// code's upper-case matching ID is encoded in alphanumeric mode, not as
// bytes (which would take version 11, 61 modules, for the long code).
func TestSymbolSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code    string
		modules int
	}{
		{testLPA, 29},  // version 3
		{longLPA, 57},  // version 10
		{nonASCII, 33}, // version 4, UTF-8 bytes
		{`LPA:1$smdp.example.com$AB\CD`, 29},
	} {
		require.Equal(t, tc.modules+2*4, minPixels(t, tc.code), tc.code)
		b, err := PNG(tc.code, 1)
		require.NoError(t, err)
		img, err := png.Decode(bytes.NewReader(b))
		require.NoError(t, err)
		require.Equal(t, tc.code, decode(t, img))
	}
}

func TestRenderHalfBlocks(t *testing.T) {
	t.Parallel()
	// true = dark. Three rows: the third is paired with a light row.
	got := render([][]bool{
		{false, false, true, true},
		{false, true, false, true},
		{true, false, false, true},
	})
	require.Equal(t, "█▀▄ \n▄██▄\n", got)
}

// BenchmarkPNG measures a PNG of a real-size activation code at the
// default size; png-bytes is the size of the image.
func BenchmarkPNG(b *testing.B) {
	var n int
	for b.Loop() {
		img, err := PNG(testLPA, 0)
		if err != nil {
			b.Fatal(err)
		}
		n = len(img)
	}
	b.ReportMetric(float64(n), "png-bytes")
}

// BenchmarkTerminal measures the terminal rendering of a real-size
// activation code.
func BenchmarkTerminal(b *testing.B) {
	for b.Loop() {
		if _, err := Terminal(testLPA); err != nil {
			b.Fatal(err)
		}
	}
}
