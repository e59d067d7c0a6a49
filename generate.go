package main

// entc first: gqlgen reads the schema/ent.graphql it writes.
//go:generate go run ./ent/entc.go
//go:generate go run github.com/99designs/gqlgen generate
