package travelroam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// walkCountryCodes returns n distinct two-letter codes ("AA", "AB", …),
// without PR, which Travel Roam does not support.
func walkCountryCodes(n int) []string {
	var out []string
	for a := 'A'; a <= 'Z' && len(out) < n; a++ {
		for b := 'A'; b <= 'Z' && len(out) < n; b++ {
			if code := string([]rune{a, b}); code != "PR" {
				out = append(out, code)
			}
		}
	}
	return out
}

// walkServer serves the catalogue for every 58-country chunk of codes:
// two bundles per country after four regional bundles that every chunk
// lists (so that a walk must drop repeats), in pages of perPage.
type walkServer struct {
	*httptest.Server
	requests atomic.Int64
	pages    map[string][]byte // "countries#page" → body
}

func newWalkServer(tb testing.TB, codes []string, perPage int) *walkServer {
	s := &walkServer{pages: make(map[string][]byte)}
	var template baselinePage
	if err := json.Unmarshal(catalogueBenchJSON(1), &template); err != nil {
		tb.Fatal(err)
	}
	regional := make([]baselineBundle, 4)
	for i := range regional {
		regional[i] = template.Bundles[0]
		regional[i].Name = fmt.Sprintf("esim_%dGB_30D_RGLOBAL_V2", 10*(i+1))
	}
	for chunk := range slices.Chunk(codes, MaxCatalogueCountries) {
		bundles := slices.Clone(regional)
		for _, code := range chunk {
			for _, plan := range []string{"1GB_7D", "5GB_30D"} {
				b := template.Bundles[0]
				b.Name = "esim_" + plan + "_" + code + "_V2"
				b.Countries = []baselineCountry{{Name: "Country " + code, Region: "Europe", ISO: code}}
				bundles = append(bundles, b)
			}
		}
		pages := (len(bundles) + perPage - 1) / perPage
		for p := 1; p <= pages; p++ {
			body, err := json.Marshal(baselinePage{Bundles: bundles[(p-1)*perPage : min(p*perPage, len(bundles))],
				PageCount: pages, Rows: len(bundles), PageSize: perPage})
			if err != nil {
				tb.Fatal(err)
			}
			s.pages[fmt.Sprintf("%s#%d", strings.Join(chunk, ","), p)] = body
		}
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		var in struct {
			Countries string `json:"countries"`
			Page      int    `json:"page"`
			PerPage   int    `json:"perPage"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.PerPage != perPage {
			http.Error(w, `{"message":"bad body"}`, http.StatusBadRequest)
			return
		}
		body, ok := s.pages[fmt.Sprintf("%s#%d", in.Countries, in.Page)]
		if !ok {
			body = []byte(`{"bundles":[],"pageCount":0}`)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	tb.Cleanup(s.Close)
	return s
}

// baselineCatalogueAll is the hand-written walk: chunks of 58 countries,
// pages until a short page or the page count, repeats dropped.
func baselineCatalogueAll(hc *http.Client, url string, codes []string, perPage int) (int, error) {
	seen := make(map[string]struct{})
	n := 0
	for chunk := range slices.Chunk(codes, 58) {
		in := struct {
			Countries string `json:"countries"`
			Page      int    `json:"page"`
			PerPage   int    `json:"perPage"`
		}{strings.Join(chunk, ","), 1, perPage}
		for ; ; in.Page++ {
			var page baselinePage
			if err := baselineCall(hc, url, in, &page); err != nil {
				return n, err
			}
			for _, b := range page.Bundles {
				if _, dup := seen[b.Name]; !dup {
					seen[b.Name] = struct{}{}
					n++
				}
			}
			if len(page.Bundles) < perPage || in.Page >= page.PageCount {
				break
			}
		}
	}
	return n, nil
}

// BenchmarkCatalogueAll walks the catalogue of 250 countries: 5 chunks
// of at most 58 countries, 13 pages of 50 in all, 504 distinct bundles.
func BenchmarkCatalogueAll(b *testing.B) {
	const countries, perPage, want = 250, DefaultCataloguePerPage, 2*250 + 4
	codes := walkCountryCodes(countries)
	report := func(b *testing.B, s *walkServer) {
		b.ReportMetric(float64(s.requests.Load())/float64(b.N), "requests/op")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(s.requests.Load()), "ns/request")
	}
	b.Run(fmt.Sprintf("countries=%d/impl=baseline", countries), func(b *testing.B) {
		s := newWalkServer(b, codes, perPage)
		hc := s.Client()
		hc.Timeout = defaultReadTimeout
		b.ReportAllocs()
		for b.Loop() {
			if n, err := baselineCatalogueAll(hc, s.URL+"/api/whitelabel/catalogue", codes, perPage); err != nil || n != want {
				b.Fatal(n, err)
			}
		}
		report(b, s)
	})
	b.Run(fmt.Sprintf("countries=%d/impl=sdk", countries), func(b *testing.B) {
		s := newWalkServer(b, codes, perPage)
		c, err := NewClient(testAPIKey, testSecret, WithBaseURL(s.URL+"/api/whitelabel"), WithHTTPClient(s.Client()))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for _, err := range c.CatalogueAll(b.Context(), CatalogueOptions{Countries: codes}) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != want {
				b.Fatal(n)
			}
		}
		report(b, s)
	})
}

func TestCatalogueAllRequestsOfTheBenchmark(t *testing.T) {
	t.Parallel()
	codes := walkCountryCodes(250)
	require.Len(t, codes, 250)
	require.NotContains(t, codes, "PR")
	s := newWalkServer(t, codes, DefaultCataloguePerPage)
	c, err := NewClient(testAPIKey, testSecret, WithBaseURL(s.URL+"/api/whitelabel"), WithHTTPClient(s.Client()))
	require.NoError(t, err)
	seen := map[string]bool{}
	for b, err := range c.CatalogueAll(t.Context(), CatalogueOptions{Countries: codes}) {
		require.NoError(t, err)
		require.False(t, seen[b.Name], "%s yielded twice", b.Name)
		seen[b.Name] = true
	}
	require.Len(t, seen, 504)
	require.Equal(t, int64(13), s.requests.Load(), "4 chunks of 58 countries in 3 pages, one of 18 in 1")
	n, err := baselineCatalogueAll(s.Client(), s.URL+"/api/whitelabel/catalogue", codes, DefaultCataloguePerPage)
	require.NoError(t, err)
	require.Equal(t, 504, n)
	require.Equal(t, int64(26), s.requests.Load(), "the baseline makes the same requests")
}

// pagedServer serves pageCount pages of 50 realistic bundles (about
// 36 KB each), every bundle's name unique to its page.
func pagedServer(t *testing.T, pageCount int) *httptest.Server {
	template := catalogueBenchJSON(50)
	template = bytes.Replace(template, []byte(`"pageCount":1`), fmt.Appendf(nil, `"pageCount":%d`, pageCount), 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Page int `json:"page"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, `{"message":"bad body"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bytes.ReplaceAll(template, []byte(`"name":"esim_`), fmt.Appendf(nil, `"name":"p%d_esim_`, in.Page)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// walkMemory is what one CatalogueAll walk cost in memory.
type walkMemory struct {
	allocPerPage float64 // bytes allocated per page (TotalAlloc)
	peakInuse    uint64  // highest HeapInuse seen at a page boundary
	retained     uint64  // live heap after a GC at the last bundle, above the start
}

func measureWalk(t *testing.T, pageCount int) walkMemory {
	srv := pagedServer(t, pageCount)
	c, err := NewClient(testAPIKey, testSecret, WithBaseURL(srv.URL), WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	start, startAlloc := m.HeapAlloc, m.TotalAlloc
	var out walkMemory
	n := 0
	for _, err := range c.CatalogueAll(t.Context(), CatalogueOptions{Region: RegionGlobal}) {
		require.NoError(t, err)
		n++
		switch {
		case n == pageCount*50:
			runtime.GC()
			runtime.ReadMemStats(&m)
			out.retained = m.HeapAlloc - min(start, m.HeapAlloc)
		case n%50 == 1:
			runtime.ReadMemStats(&m)
			out.peakInuse = max(out.peakInuse, m.HeapInuse)
		}
	}
	require.Equal(t, pageCount*50, n)
	runtime.ReadMemStats(&m)
	out.allocPerPage = float64(m.TotalAlloc-startAlloc) / float64(pageCount)
	c.CloseIdleConnections()
	return out
}

// TestCatalogueAllPeakMemoryDoesNotGrowWithPages walks 100 and then 1,000
// pages of 50 realistic bundles over loopback. A walk keeps only the names
// it yielded (to drop repeats), never the pages: the allocations per page
// are the same for both walks, and the heap of the long walk exceeds that
// of the short one by no more than those names. Keeping the 900 extra
// pages would hold some 45,000 decoded bundles, about 45 MB. Not
// parallel: it reads the process-wide heap statistics.
func TestCatalogueAllPeakMemoryDoesNotGrowWithPages(t *testing.T) {
	short := measureWalk(t, 100)
	long := measureWalk(t, 1000)
	t.Logf("100 pages: %.0f B allocated/page, peak HeapInuse %d KiB, retained %d KiB", short.allocPerPage, short.peakInuse>>10, short.retained>>10)
	t.Logf("1000 pages: %.0f B allocated/page, peak HeapInuse %d KiB, retained %d KiB", long.allocPerPage, long.peakInuse>>10, long.retained>>10)

	require.Less(t, long.allocPerPage, 1.15*short.allocPerPage, "allocations per page grow with the walk")
	// The names of 45,000 more bundles (about 30 bytes each) and their map
	// entries: under 128 bytes a bundle.
	const perExtraBundle = 128
	budget := uint64(900 * 50 * perExtraBundle)
	require.Less(t, long.retained, short.retained+budget, "the walk retains more than the names it yielded")
	// The peak may also hold the garbage of a page or two, and the GC lets
	// the heap reach twice what is live.
	require.Less(t, long.peakInuse, short.peakInuse+2*budget+8<<20, "peak heap grows with the number of pages")
}
