package main

import (
	"strings"
	"testing"
)

func TestList(t *testing.T) {
	got, err := List("testdata/sample", "example.com/sample")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`const A Kind = "a"`,
		`const First = iota`,
		`const Second`,
		`func Map[T any, U any]([]T, func(T) U) []U`,
		`func New(string, ...func(*Client)) (*Client, error)`,
		`method (*Client) Do(context.Context) error`,
		`method (List[T]) Len() int`,
		`type Alias = Kind`,
		`type Client struct`,
		`type Client struct, Name string`,
		`type Client struct, Retries int`,
		`type Client struct, Timeout int`,
		`type Client struct, embedded *Embedded`,
		`type Embedded struct`,
		`type Kind string`,
		`type List[T any] []T`,
		`type Store interface { Get, unexported methods }`,
		`type Store interface, Get(context.Context, string) (string, bool, error)`,
		`var ErrX = errNew("x")`,
	}
	for i := range want {
		want[i] = "pkg example.com/sample, " + want[i]
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDiff(t *testing.T) {
	added, removed := Diff([]string{"a", "b", ""}, []string{"b", "c"})
	if strings.Join(added, ",") != "c" || strings.Join(removed, ",") != "a" {
		t.Fatalf("added %v, removed %v", added, removed)
	}
}
