// Package sample is apilist's test input.
package sample

import "context"

// Exported names of every kind, and unexported ones that must not show.
const (
	A Kind = "a"
	b      = 2
)

const (
	First = iota
	Second
)

var ErrX = errNew("x")

type Kind string

type Client struct {
	Name             string
	secret           string
	Timeout, Retries int
	*Embedded
}

type Embedded struct{}

type Store interface {
	Get(ctx context.Context, key string) (value string, ok bool, err error)
	fenced()
}

type List[T any] []T

type Alias = Kind

func New(name string, opts ...func(*Client)) (*Client, error) { return nil, nil }

func (c *Client) Do(ctx context.Context) error { return nil }

func (c *Client) hidden() {}

func (l List[T]) Len() int { return len(l) }

func Map[T, U any](xs []T, f func(T) U) []U { return nil }

func errNew(s string) error { return nil }

type unexported struct{}

func (unexported) Exported() {}
