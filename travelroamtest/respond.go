package travelroamtest

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// respond answers one request, applying its fault, and returns the status
// sent (0 when the connection was dropped without an answer).
func (s *Server) respond(w http.ResponseWriter, r *http.Request, ex exchange) int {
	f := ex.fault
	if f.kind == faultResetBeforeBody {
		return resetConn(w)
	}
	for k, v := range ex.rate.header {
		w.Header()[k] = v
	}
	body, bad := readBody(w, r)
	s.recordBody(ex.idx, body)
	if bad != nil {
		return writeReply(w, *bad)
	}
	if ex.rate.limited {
		rp := errorReply(http.StatusTooManyRequests, "%s", rateLimitMessage)
		rp.header = http.Header{"Retry-After": {"1"}}
		return writeReply(w, rp)
	}
	if !f.after && f.kind == faultLatency && !s.wait(r, f.delay) {
		return 0
	}
	if !f.after && f.replaces() {
		return s.writeFault(w, r, f)
	}
	rp := s.handle(r, ex, body)
	return s.answer(w, r, rp, f)
}

// answer writes the handler's reply, or the fault that acts after
// handling.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, rp reply, f Fault) int {
	switch {
	case f.kind == faultLatency && f.after:
		if !s.wait(r, f.delay) {
			return 0
		}
	case f.replaces():
		return s.writeFault(w, r, f)
	case f.kind == faultResetAfter:
		return resetConn(w)
	case f.kind == faultTruncated:
		return writeTruncated(w, rp)
	case f.kind == faultMalformed:
		body := rp.encode()
		return writeRaw(w, http.StatusOK, rp.mediaType(), body[:len(body)/2])
	case f.kind == faultTrickle:
		return s.writeTrickle(w, r, rp, f.delay)
	}
	return writeReply(w, rp)
}

// wait sleeps d, or less when the client goes away or the server closes;
// it reports whether the whole wait elapsed.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.closed:
	}
	return false
}

func (s *Server) writeFault(w http.ResponseWriter, r *http.Request, f Fault) int {
	if f.retryAfter != "" {
		w.Header().Set("Retry-After", f.retryAfter)
	}
	if f.kind == faultRateLimited {
		limit := cmp.Or(s.cfg.rateLimit, eSIMGoRateLimit)
		for k, v := range rateHeaders(limit, 0, s.now().Truncate(time.Second).Add(time.Second)) {
			w.Header()[k] = v
		}
	}
	switch f.kind {
	case faultHuge:
		return s.writeHuge(w, r, f)
	case faultGzipBomb:
		return writeGzipBomb(w, f)
	}
	return writeRaw(w, f.status, f.contentType, []byte(f.body))
}

func writeRaw(w http.ResponseWriter, status int, contentType string, body []byte) int {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status
}

// resetConn closes the connection without an answer.
func resetConn(w http.ResponseWriter) int {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // net/http drops the connection
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
	return 0
}

// writeTruncated sends the status line and a Content-Length larger than
// the half body that follows, then closes the connection.
func writeTruncated(w http.ResponseWriter, rp reply) int {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	body := rp.encode()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		rp.status, http.StatusText(rp.status), rp.mediaType(), len(body)+64)
	_, _ = buf.Write(body[:len(body)/2])
	_ = buf.Flush()
	return rp.status
}

// writeHuge streams a valid JSON body of f.size bytes:
// {"message":"xxxx…"}.
func (s *Server) writeHuge(w http.ResponseWriter, r *http.Request, f Fault) int {
	head, tail := []byte(`{"message":"`), []byte(`"}`)
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Content-Length", strconv.FormatInt(f.size, 10))
	w.WriteHeader(f.status)
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	left := f.size - int64(len(head)+len(tail))
	if _, err := w.Write(head); err != nil {
		return f.status
	}
	for left > 0 && !s.gone(r) {
		n := min(left, int64(len(chunk)))
		if _, err := w.Write(chunk[:n]); err != nil {
			return f.status
		}
		left -= n
	}
	_, _ = w.Write(tail)
	return f.status
}

// writeTrickle sends the reply one byte every perByte.
func (s *Server) writeTrickle(w http.ResponseWriter, r *http.Request, rp reply, perByte time.Duration) int {
	body := rp.encode()
	w.Header().Set("Content-Type", rp.mediaType())
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rp.status)
	flusher, _ := w.(http.Flusher)
	for i := range body {
		if !s.wait(r, perByte) {
			break
		}
		if _, err := w.Write(body[i : i+1]); err != nil {
			break
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
	return rp.status
}

// gone reports whether the client went away or the server is closing.
func (s *Server) gone(r *http.Request) bool {
	select {
	case <-r.Context().Done():
		return true
	case <-s.closed:
		return true
	default:
		return false
	}
}

// writeGzipBomb sends {"message":"   …"} of f.size bytes, gzipped: a few
// KiB on the wire per MiB inflated.
func writeGzipBomb(w http.ResponseWriter, f Fault) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	head, tail := []byte(`{"message":"`), []byte(`"}`)
	_, _ = zw.Write(head)
	chunk := bytes.Repeat([]byte(" "), 64<<10)
	for left := f.size - int64(len(head)+len(tail)); left > 0; left -= int64(len(chunk)) {
		_, _ = zw.Write(chunk[:min(left, int64(len(chunk)))])
	}
	_, _ = zw.Write(tail)
	_ = zw.Close()
	w.Header().Set("Content-Encoding", "gzip")
	return writeRaw(w, f.status, f.contentType, buf.Bytes())
}
