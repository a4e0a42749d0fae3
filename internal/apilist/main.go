// Command apilist lists the exported API of the repository's published
// packages, one line per exported name, in the style of Go's own
// api/go1.*.txt files, and checks the listing that is committed under
// api/:
//
//	go run ./internal/apilist          # check: fail if api/ differs
//	go run ./internal/apilist -w       # write api/ anew
//
// A line names the package and one exported part of its API:
//
//	pkg github.com/roamkit/travelroam, func NewClient(string, string, ...Option) (*Client, error)
//	pkg github.com/roamkit/travelroam, method (*Client) AccountKey() string
//	pkg github.com/roamkit/travelroam, type ESIM struct, ICCID string
//
// Parameter names are left out, so renaming a parameter changes nothing.
// The listing is read from the source alone (go/parser), without type
// checking, so it works across the repository's modules; test files are
// not read. CI runs the check: any change to an exported name, a
// signature, a struct field, an interface method or a constant's value
// fails unless api/ changes in the same commit, which is where such a
// change is reviewed.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// published are the packages whose API is listed: directory relative to
// the repository root, and the import path.
var published = [][2]string{
	{".", "github.com/roamkit/travelroam"},
	{"qr", "github.com/roamkit/travelroam/qr"},
	{"travelroamtest", "github.com/roamkit/travelroam/travelroamtest"},
	{"travelroamtest/storetest", "github.com/roamkit/travelroam/travelroamtest/storetest"},
	{"pgstore", "github.com/roamkit/travelroam/pgstore"},
	{"redisstore", "github.com/roamkit/travelroam/redisstore"},
	{"sqlitestore", "github.com/roamkit/travelroam/sqlitestore"},
	{"travelroamotel", "github.com/roamkit/travelroam/travelroamotel"},
}

func main() {
	write := flag.Bool("w", false, "write the listing under api/ instead of checking it")
	root := flag.String("root", ".", "the repository's root directory")
	flag.Parse()
	changed := false
	for _, p := range published {
		lines, err := List(filepath.Join(*root, p[0]), p[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "apilist:", err)
			os.Exit(2)
		}
		got := []byte(strings.Join(lines, "\n") + "\n")
		file := filepath.Join(*root, "api", listingName(p[0]))
		if *write {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				fmt.Fprintln(os.Stderr, "apilist:", err)
				os.Exit(2)
			}
			if err := os.WriteFile(file, got, 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "apilist:", err)
				os.Exit(2)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			want = nil
		}
		if !bytes.Equal(got, want) {
			changed = true
			added, removed := Diff(strings.Split(strings.TrimSuffix(string(want), "\n"), "\n"), lines)
			fmt.Printf("exported API of %s differs from %s:\n", p[1], file)
			for _, l := range removed {
				fmt.Printf("  - %s\n", l)
			}
			for _, l := range added {
				fmt.Printf("  + %s\n", l)
			}
		}
	}
	if changed {
		fmt.Println("apilist: the exported API changed; if that is intended, run `go run ./internal/apilist -w`, " +
			"commit api/ with the change and note it in CHANGELOG.md (a removal or a changed signature breaks users)")
		os.Exit(1)
	}
	if !*write {
		fmt.Printf("apilist: the exported API of %d packages matches api/\n", len(published))
	}
}

// listingName is the file under api/ of the package in dir.
func listingName(dir string) string {
	if dir == "." {
		return "travelroam.txt"
	}
	return strings.ReplaceAll(dir, "/", "_") + ".txt"
}

// Diff returns the lines of b that are not in a (added) and those of a
// that are not in b (removed).
func Diff(a, b []string) (added, removed []string) {
	in := func(s []string) map[string]bool {
		m := make(map[string]bool, len(s))
		for _, l := range s {
			if l != "" {
				m[l] = true
			}
		}
		return m
	}
	ma, mb := in(a), in(b)
	for _, l := range b {
		if l != "" && !ma[l] {
			added = append(added, l)
		}
	}
	for _, l := range a {
		if l != "" && !mb[l] {
			removed = append(removed, l)
		}
	}
	return added, removed
}

// List returns the sorted lines of the exported API of the package in
// dir (its non-test .go files), named importPath.
func List(dir, importPath string) ([]string, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		if f.Name.Name == "main" || strings.HasSuffix(f.Name.Name, "_test") {
			continue
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no package files", dir)
	}
	l := lister{fset: fset, prefix: "pkg " + importPath + ", "}
	for _, f := range files {
		for _, d := range f.Decls {
			l.decl(d)
		}
	}
	slices.Sort(l.lines)
	return slices.Compact(l.lines), nil
}

type lister struct {
	fset   *token.FileSet
	prefix string
	lines  []string
}

func (l *lister) add(format string, args ...any) {
	l.lines = append(l.lines, l.prefix+fmt.Sprintf(format, args...))
}

// expr prints an expression on one line.
func (l *lister) expr(e ast.Expr) string {
	var b bytes.Buffer
	_ = printer.Fprint(&b, l.fset, e)
	return strings.Join(strings.Fields(b.String()), " ")
}

func (l *lister) decl(d ast.Decl) {
	switch d := d.(type) {
	case *ast.FuncDecl:
		if !d.Name.IsExported() {
			return
		}
		if d.Recv == nil {
			l.add("func %s%s%s", d.Name.Name, l.typeParams(d.Type.TypeParams), l.signature(d.Type))
			return
		}
		recv := d.Recv.List[0].Type
		base := recv
		if s, ok := base.(*ast.StarExpr); ok {
			base = s.X
		}
		switch b := base.(type) {
		case *ast.IndexExpr:
			base = b.X
		case *ast.IndexListExpr:
			base = b.X
		}
		if id, ok := base.(*ast.Ident); !ok || !id.IsExported() {
			return
		}
		l.add("method (%s) %s%s", l.expr(recv), d.Name.Name, l.signature(d.Type))
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				l.typeSpec(s)
			case *ast.ValueSpec:
				l.valueSpec(d.Tok, s)
			}
		}
	}
}

func (l *lister) valueSpec(tok token.Token, s *ast.ValueSpec) {
	for i, n := range s.Names {
		if !n.IsExported() {
			continue
		}
		kind := "var"
		if tok == token.CONST {
			kind = "const"
		}
		switch {
		case s.Type != nil && i < len(s.Values):
			l.add("%s %s %s = %s", kind, n.Name, l.expr(s.Type), l.expr(s.Values[i]))
		case s.Type != nil:
			l.add("%s %s %s", kind, n.Name, l.expr(s.Type))
		case i < len(s.Values):
			l.add("%s %s = %s", kind, n.Name, l.expr(s.Values[i]))
		default: // a const in an iota block: its value follows from its place
			l.add("%s %s", kind, n.Name)
		}
	}
}

func (l *lister) typeSpec(s *ast.TypeSpec) {
	if !s.Name.IsExported() {
		return
	}
	name := s.Name.Name + l.typeParams(s.TypeParams)
	if s.Assign.IsValid() {
		l.add("type %s = %s", name, l.expr(s.Type))
		return
	}
	switch t := s.Type.(type) {
	case *ast.StructType:
		l.add("type %s struct", name)
		for _, f := range t.Fields.List {
			if len(f.Names) == 0 { // embedded
				l.add("type %s struct, embedded %s", name, l.expr(f.Type))
				continue
			}
			for _, n := range f.Names {
				if n.IsExported() {
					l.add("type %s struct, %s %s", name, n.Name, l.expr(f.Type))
				}
			}
		}
	case *ast.InterfaceType:
		var methods []string
		for _, m := range t.Methods.List {
			if len(m.Names) == 0 {
				l.add("type %s interface, embedded %s", name, l.expr(m.Type))
				continue
			}
			for _, n := range m.Names {
				if ft, ok := m.Type.(*ast.FuncType); ok && n.IsExported() {
					methods = append(methods, n.Name)
					l.add("type %s interface, %s%s", name, n.Name, l.signature(ft))
				} else if !n.IsExported() {
					methods = append(methods, "unexported methods")
				}
			}
		}
		slices.Sort(methods)
		l.add("type %s interface { %s }", name, strings.Join(slices.Compact(methods), ", "))
	default:
		l.add("type %s %s", name, l.expr(s.Type))
	}
}

func (l *lister) typeParams(fl *ast.FieldList) string {
	if fl == nil || len(fl.List) == 0 {
		return ""
	}
	var parts []string
	for _, f := range fl.List {
		for _, n := range f.Names {
			parts = append(parts, n.Name+" "+l.expr(f.Type))
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// signature prints a function type's parameters and results without
// their names.
func (l *lister) signature(ft *ast.FuncType) string {
	s := "(" + l.fieldTypes(ft.Params) + ")"
	if ft.Results == nil || len(ft.Results.List) == 0 {
		return s
	}
	r := l.fieldTypes(ft.Results)
	if len(ft.Results.List) == 1 && len(ft.Results.List[0].Names) <= 1 {
		return s + " " + r
	}
	return s + " (" + r + ")"
}

func (l *lister) fieldTypes(fl *ast.FieldList) string {
	if fl == nil {
		return ""
	}
	var parts []string
	for _, f := range fl.List {
		n := max(len(f.Names), 1)
		for range n {
			parts = append(parts, l.expr(f.Type))
		}
	}
	return strings.Join(parts, ", ")
}
