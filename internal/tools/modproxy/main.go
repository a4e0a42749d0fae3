// Command modproxy writes a file-based Go module proxy (for
// GOPROXY=file://DIR) that serves this repository's modules at their
// release version, made from the files git tracks, with their contents in
// the working tree. It builds each module's zip the way the module proxy
// builds it from a tag (golang.org/x/mod/zip over the files of the module's
// directory, nested modules left out, and the repository's LICENSE added to
// a module that has none), so the hashes it prints are the ones
// sum.golang.org will record for the tag if nothing changes before it.
//
// Usage, from the repository root:
//
//	go run . -repo ../../.. -out DIR -version v0.1.0 . pgstore redisstore …
//
// It writes DIR/<escaped module path>/@v/{list,VERSION.info,VERSION.mod,VERSION.zip}
// for each module directory named, and prints the go.sum lines of each.
// It lives in its own module so that no published module requires x/mod.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/zip"
)

func main() {
	repo := flag.String("repo", ".", "the repository's root directory")
	out := flag.String("out", "", "the proxy directory to write (required)")
	version := flag.String("version", "", "the release version of every module, e.g. v0.1.0 (required)")
	flag.Parse()
	if *out == "" || *version == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: modproxy -repo ROOT -out DIR -version vX.Y.Z MODULEDIR...")
		os.Exit(2)
	}
	if err := run(*repo, *out, *version, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "modproxy:", err)
		os.Exit(1)
	}
}

func run(repo, out, version string, dirs []string) error {
	if semver.Canonical(version) != version || (semver.Major(version) != "v0" && semver.Major(version) != "v1") {
		return fmt.Errorf("version %q is not a canonical v0 or v1 semantic version", version)
	}
	tracked, err := trackedFiles(repo)
	if err != nil {
		return err
	}
	when, err := commitTime(repo)
	if err != nil {
		return err
	}
	for _, dir := range dirs {
		if err := writeModule(repo, out, version, path.Clean(filepath.ToSlash(dir)), tracked, when); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
	}
	return nil
}

// trackedFiles lists the files git tracks (slash paths from the root) that
// exist in the working tree: what a tag made now would hold.
func trackedFiles(repo string) ([]string, error) {
	cmd := exec.Command("git", "-C", repo, "ls-files", "-z")
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files: %w", err)
	}
	var files []string
	for name := range strings.SplitSeq(strings.TrimSuffix(string(b), "\x00"), "\x00") {
		if _, err := os.Lstat(filepath.Join(repo, filepath.FromSlash(name))); errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the working tree
		}
		files = append(files, name)
	}
	return files, nil
}

// commitTime is the time of HEAD, given in the .info files.
func commitTime(repo string) (time.Time, error) {
	b, err := exec.Command("git", "-C", repo, "log", "-1", "--format=%cI").Output()
	if err != nil {
		return time.Time{}, fmt.Errorf("git log: %w", err)
	}
	return time.Parse(time.RFC3339, strings.TrimSpace(string(b)))
}

// diskFile is a working-tree file as golang.org/x/mod/zip reads it.
type diskFile struct{ name, path string }

func (f diskFile) Path() string                 { return f.name }
func (f diskFile) Lstat() (fs.FileInfo, error)  { return os.Lstat(f.path) }
func (f diskFile) Open() (io.ReadCloser, error) { return os.Open(f.path) }

func writeModule(repo, out, version, dir string, tracked []string, when time.Time) error {
	gomod, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(dir), "go.mod"))
	if err != nil {
		return err
	}
	modPath := modfile.ModulePath(gomod)
	if modPath == "" {
		return errors.New("go.mod names no module")
	}
	prefix := ""
	if dir != "." {
		prefix = dir + "/"
	}
	var files []zip.File
	haveLicense := false
	for _, name := range tracked {
		rel, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		files = append(files, diskFile{name: rel, path: filepath.Join(repo, filepath.FromSlash(name))})
		haveLicense = haveLicense || rel == "LICENSE"
	}
	if !haveLicense && prefix != "" {
		// The go command adds the repository's LICENSE to a module in a
		// subdirectory that has none (cmd/go/internal/modfetch).
		files = append(files, diskFile{name: "LICENSE", path: filepath.Join(repo, "LICENSE")})
	}
	mv := module.Version{Path: modPath, Version: version}
	escaped, err := module.EscapePath(modPath)
	if err != nil {
		return err
	}
	vdir := filepath.Join(out, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := zip.Create(&buf, mv, files); err != nil {
		return err
	}
	zipPath := filepath.Join(vdir, version+".zip")
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, when.UTC()})
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		version + ".zip":  buf.Bytes(),
		version + ".mod":  gomod,
		version + ".info": info,
		"list":            []byte(version + "\n"),
	} {
		if err := os.WriteFile(filepath.Join(vdir, name), data, 0o644); err != nil {
			return err
		}
	}
	zipHash, err := dirhash.HashZip(zipPath, dirhash.Hash1)
	if err != nil {
		return err
	}
	modHash, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(gomod)), nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("%s %s %s\n%s %s/go.mod %s\n", mv.Path, version, zipHash, mv.Path, version, modHash)
	return nil
}
