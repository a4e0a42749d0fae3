package qr

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stretchr/testify/require"
)

const testLPA = "LPA:1$rsp.truphone.com$K2-1Z8QAB-3XYV7P"

func decode(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	require.NoError(t, err)
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	require.NoError(t, err)
	return res.GetText()
}

func TestPNGRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code       string
		size, want int
	}{
		{testLPA, 0, DefaultSize},
		{testLPA, -5, DefaultSize},
		{testLPA, 512, 512},
		{"LPA:1$smdp.example.com$ABC-123$1.3.6.1.4.1.31746$1", 256, 256},
	} {
		b, err := PNG(tc.code, tc.size)
		require.NoError(t, err)
		img, err := png.Decode(bytes.NewReader(b))
		require.NoError(t, err)
		require.Equal(t, tc.want, img.Bounds().Dx())
		require.Equal(t, tc.want, img.Bounds().Dy())
		// Quiet zone: the corner pixel is white.
		r, g, bl, _ := img.At(0, 0).RGBA()
		require.Equal(t, [3]uint32{0xffff, 0xffff, 0xffff}, [3]uint32{r, g, bl})
		require.Equal(t, tc.code, decode(t, img))
	}
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
	text, err := Terminal(testLPA)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(text, "\n"))
	for _, r := range text {
		require.Contains(t, "█▀▄ \n", string(r))
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	// Quiet zone: the first line (two module rows) and the first columns
	// are all light.
	require.Equal(t, strings.Repeat("█", len([]rune(lines[0]))), lines[0])
	for _, l := range lines {
		require.True(t, strings.HasPrefix(l, "████"), "left quiet zone")
	}
	require.Equal(t, testLPA, decode(t, terminalImage(t, text)))
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
