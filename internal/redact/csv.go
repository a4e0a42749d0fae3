package redact

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
)

// bom is the UTF-8 byte order mark some CSV exports start with.
const bom = "\ufeff"

// parseCSV reads body as CSV. strict (the content type did not say CSV)
// also wants what makes a table: two rows or more, all with the same
// number of fields, two or more.
func parseCSV(body []byte, strict bool) ([][]string, bool) {
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte(bom))))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	rows, err := cr.ReadAll()
	if err != nil || len(rows) == 0 {
		return nil, false
	}
	if strict {
		if len(rows) < 2 || len(rows[0]) < 2 {
			return nil, false
		}
		for _, row := range rows {
			if len(row) != len(rows[0]) {
				return nil, false
			}
		}
	}
	return rows, true
}

// CSV redacts a CSV document: the first row names the columns, and each
// cell below a sensitive column's name (in any spelling: "Matching ID",
// matching_id, RSP URL, PIN…) is masked as its [Kind]; every cell,
// the names included, is also searched for what looks secret. The error
// says why body is not CSV.
func (r *Redactor) CSV(body []byte) ([]byte, error) {
	rows, ok := parseCSV(body, false)
	if !ok {
		return nil, errors.New("not CSV")
	}
	return r.csv(body, rows), nil
}

// csv redacts the parsed rows of body and writes them in body's style:
// every field quoted if its first one was (as eSIM Go writes), CRLF line
// ends if it had them, its byte order mark kept.
func (r *Redactor) csv(body []byte, rows [][]string) []byte {
	var kinds []Kind
	for i, row := range rows {
		for j, cell := range row {
			if i > 0 && j < len(kinds) {
				row[j] = r.masked(kinds[j], cell)
			} else {
				row[j] = r.value(cell)
			}
		}
		if i == 0 {
			// From the redacted names, so that a second pass agrees.
			for _, name := range row {
				kinds = append(kinds, r.kind(name))
			}
		}
	}
	text := bytes.TrimPrefix(body, []byte(bom))
	quoteAll := bytes.HasPrefix(text, []byte(`"`)) || needsQuotes(rows[0][0], len(rows[0]))
	eol := "\n"
	if bytes.Contains(body, []byte("\r\n")) {
		eol = "\r\n"
	}
	var b bytes.Buffer
	if bytes.HasPrefix(body, []byte(bom)) {
		b.WriteString(bom)
	}
	for _, row := range rows {
		for j, cell := range row {
			if j > 0 {
				b.WriteByte(',')
			}
			// encoding/csv reads a CR before a line feed inside quotes as
			// nothing (one per read: "\r\r\n" reads "\r\n", then "\n"),
			// so such a CR is dropped here for a second pass to read the
			// same cell (FuzzRedactor found it).
			for strings.Contains(cell, "\r\n") {
				cell = strings.ReplaceAll(cell, "\r\n", "\n")
			}
			if quoteAll || needsQuotes(cell, len(row)) {
				b.WriteString(`"` + strings.ReplaceAll(cell, `"`, `""`) + `"`)
			} else {
				b.WriteString(cell)
			}
		}
		b.WriteString(eol)
	}
	return b.Bytes()
}

// needsQuotes reports whether a cell must be quoted to read back the
// same: a separator, a quote or a line end in it, or a row of one empty
// cell (an empty line would be skipped).
func needsQuotes(cell string, fields int) bool {
	return cell == "" && fields == 1 || strings.ContainsAny(cell, ",\"\r\n") ||
		strings.HasPrefix(cell, " ") || strings.HasPrefix(cell, "\t")
}
