package fakeserver

import (
	"encoding/json"
	"errors"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/roamkit/travelroam/travelroamtest"
)

// adminRequest is the JSON body of every admin route; each route reads
// the fields it needs.
type adminRequest struct {
	ICCID             string `json:"iccid"`
	Bytes             int64  `json:"bytes"`
	OrderReference    string `json:"orderReference"`
	Env               string `json:"env"`
	Cents             int64  `json:"cents"`
	MobileNetworkCode string `json:"mobileNetworkCode"`
	NetworkName       string `json:"networkName"`
	NetworkBrandName  string `json:"networkBrandName"`
	Country           string `json:"country"`
	AlertType         string `json:"alertType"`
	State             string `json:"state"`
}

// AdminHandler returns the admin API that drives srv's test hooks over
// HTTP, so that a client in another language (or curl) can install eSIMs,
// consume data (which sends the usage callbacks), and so on.
//
// listenAddr is the address the admin API listens on (host:port, as
// net.Listener.Addr gives it). Because any web page the developer visits
// could otherwise drive the admin API, the handler refuses:
//   - a request whose Host header is not listenAddr, localhost:PORT,
//     127.0.0.1:PORT or [::1]:PORT (403): this defeats DNS rebinding;
//   - a request with an Origin header other than http://<one of those>
//     (403): a cross-origin request from a browser;
//   - a POST whose Content-Type is not application/json (415): the only
//     content types a page can POST cross-origin without a preflight are
//     text/plain, form data and multipart.
func AdminHandler(srv *travelroamtest.Server, listenAddr string) http.Handler {
	mux := http.NewServeMux()
	hook := func(path string, fn func(r *http.Request, a adminRequest) error) {
		mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) {
			if !isJSON(r.Header.Get("Content-Type")) {
				writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"message": "Content-Type must be application/json"})
				return
			}
			var a adminRequest
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&a); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": "body must be a JSON object"})
				return
			}
			if err := fn(r, a); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
				return
			}
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		})
	}
	hook("/consume", func(r *http.Request, a adminRequest) error { return srv.ConsumeData(r.Context(), a.ICCID, a.Bytes) })
	hook("/install", func(_ *http.Request, a adminRequest) error { return srv.InstallESIM(a.ICCID) })
	hook("/expire", func(_ *http.Request, a adminRequest) error { return srv.ExpireBundles(a.ICCID) })
	hook("/location", func(_ *http.Request, a adminRequest) error {
		return srv.SetLocation(a.ICCID, travelroamtest.Location{
			MobileNetworkCode: a.MobileNetworkCode, NetworkName: a.NetworkName,
			NetworkBrandName: a.NetworkBrandName, Country: a.Country,
		})
	})
	hook("/ready", func(_ *http.Request, a adminRequest) error {
		if a.OrderReference == "" {
			srv.MakeAssignmentsReady()
		} else {
			srv.MakeAssignmentsReady(a.OrderReference)
		}
		return nil
	})
	hook("/balance", func(_ *http.Request, a adminRequest) error {
		env := travelroamtest.Environment(a.Env)
		if (env != travelroamtest.Sandbox && env != travelroamtest.Live) || a.Cents < 0 {
			return errors.New(`env must be "sandbox" or "live" and cents not negative`)
		}
		srv.SetBalance(env, a.Cents)
		return nil
	})
	hook("/esim-state", func(_ *http.Request, a adminRequest) error { return srv.SetESIMState(a.ICCID, a.State) })
	hook("/balance-alert", func(r *http.Request, a adminRequest) error { return srv.SendBalanceCallback(r.Context(), a.AlertType) })
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, ordersView(srv.Orders()))
	})
	return localOnly(mux, listenAddr)
}

// localOnly refuses requests that did not come from a local client talking
// to listenAddr by its own name (see AdminHandler).
func localOnly(next http.Handler, listenAddr string) http.Handler {
	hosts := allowedHosts(listenAddr)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hosts[strings.ToLower(r.Host)] {
			writeJSON(w, http.StatusForbidden, map[string]string{"message": "Host must be the admin API's own address, e.g. " + listenAddr})
			return
		}
		if origins := r.Header.Values("Origin"); len(origins) > 0 {
			o := strings.ToLower(origins[0])
			if len(origins) != 1 || !strings.HasPrefix(o, "http://") || !hosts[strings.TrimPrefix(o, "http://")] {
				writeJSON(w, http.StatusForbidden, map[string]string{"message": "cross-origin requests are refused"})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// allowedHosts returns the Host values (lower case, with the port) under
// which a local client reaches listenAddr.
func allowedHosts(listenAddr string) map[string]bool {
	hosts := map[string]bool{strings.ToLower(listenAddr): true}
	_, port, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return hosts
	}
	for _, h := range []string{"localhost", "127.0.0.1", "[::1]"} {
		hosts[h+":"+port] = true
	}
	return hosts
}

// isJSON reports whether a Content-Type header value is application/json
// (parameters such as charset allowed).
func isJSON(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && mediaType == "application/json"
}

type orderView struct {
	Reference   string    `json:"reference"`
	Environment string    `json:"environment"`
	BundleName  string    `json:"bundleName"`
	ICCID       string    `json:"iccid"`
	TopUp       bool      `json:"topUp"`
	PriceCents  int64     `json:"priceCents"`
	CreatedAt   time.Time `json:"createdAt"`
}

func ordersView(orders []travelroamtest.Order) []orderView {
	out := make([]orderView, 0, len(orders))
	for _, o := range orders {
		out = append(out, orderView{
			Reference: o.Reference, Environment: string(o.Environment), BundleName: o.BundleName,
			ICCID: o.ICCID, TopUp: o.TopUp, PriceCents: o.PriceCents, CreatedAt: o.CreatedAt,
		})
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
