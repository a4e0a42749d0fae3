package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestJournalConnectionStringNotAFile: a connection string that is not a
// lower-case postgres:// URL (a scheme in another case, a libpq key=value
// string, another database's URL) must not silently become a local SQLite
// file: the purchases would be recorded on this machine only (no double
// purchase stopped across machines) and the password would be a file or
// directory name. A postgres:// URL whose scheme is in another case is a
// PostgreSQL journal (here, one that does not answer); anything else is a
// usage error. No error quotes the string.
func TestJournalConnectionStringNotAFile(t *testing.T) {
	const password = "hunter2-secret"
	for _, tc := range []struct {
		loc   string
		usage bool // else PostgreSQL, not answering on port 1
	}{
		{"POSTGRES://u:" + password + "@127.0.0.1:1/db", false},
		{"PostgreSQL://u:" + password + "@127.0.0.1:1/db?sslmode=disable", false},
		{"host=127.0.0.1 port=1 user=u password=" + password + " dbname=db", true},
		{"mysql://u:" + password + "@127.0.0.1:1/db", true},
	} {
		loc := tc.loc
		t.Run(loc[:8], func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			c := &cli{sys: sys{getenv: func(string) string { return "" }}}
			st, err := c.openJournal(context.Background(), loc)
			if st != nil {
				_ = st.Close()
			}
			require.Error(t, err, "a connection string is not a journal file")
			if tc.usage {
				require.Equal(t, exitUsage, exitCode(err))
			} else {
				require.Contains(t, err.Error(), "PostgreSQL", "opened as a PostgreSQL journal")
			}
			require.NotContains(t, err.Error(), password)
			entries, rerr := os.ReadDir(dir)
			require.NoError(t, rerr)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			require.Empty(t, names, "nothing created: %s", strings.Join(names, ", "))
		})
	}
}
