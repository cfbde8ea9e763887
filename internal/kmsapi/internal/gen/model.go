package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/token"
)

// The botocore model, as far as the generator reads it. Decoding is strict:
// a shape or member trait the generator does not know (a new timestampFormat,
// a union, a document type) stops generation instead of being ignored.

type model struct {
	Version       string                `json:"version"`
	Metadata      map[string]any        `json:"metadata"`
	Operations    map[string]*operation `json:"operations"`
	Shapes        map[string]*shape     `json:"shapes"`
	Documentation string                `json:"documentation"`
}

type operation struct {
	Name              string          `json:"name"`
	HTTP              json.RawMessage `json:"http"`
	Input             *shapeRef       `json:"input"`
	Output            *shapeRef       `json:"output"`
	Errors            json.RawMessage `json:"errors"`
	Documentation     string          `json:"documentation"`
	Deprecated        bool            `json:"deprecated"`
	DeprecatedMessage string          `json:"deprecatedMessage"`
}

type shapeRef struct {
	Shape string `json:"shape"`
}

type shape struct {
	Type              string    `json:"type"`
	Members           members   `json:"members"`
	Required          []string  `json:"required"`
	Min               *int64    `json:"min"`
	Max               *int64    `json:"max"`
	Pattern           string    `json:"pattern"`
	Enum              []string  `json:"enum"`
	Member            *shapeRef `json:"member"`
	Key               *shapeRef `json:"key"`
	Value             *shapeRef `json:"value"`
	Sensitive         bool      `json:"sensitive"`
	Exception         bool      `json:"exception"`
	Fault             bool      `json:"fault"`
	Deprecated        bool      `json:"deprecated"`
	DeprecatedMessage string    `json:"deprecatedMessage"`
	Documentation     string    `json:"documentation"`

	name string
}

type member struct {
	Name              string `json:"-"`
	Shape             string `json:"shape"`
	Deprecated        bool   `json:"deprecated"`
	DeprecatedMessage string `json:"deprecatedMessage"`
	Documentation     string `json:"documentation"`
}

// members keeps the model's member order, which fixes the order of struct
// fields and of validation messages.
type members []*member

func (ms *members) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("members: want an object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		m := &member{Name: name}
		if err := strictUnmarshal(raw, m); err != nil {
			return fmt.Errorf("member %s: %w", name, err)
		}
		*ms = append(*ms, m)
	}
	_, err := dec.Token()
	return err
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func loadModel(src []byte) (*model, error) {
	var m model
	if err := strictUnmarshal(src, &m); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	for name, s := range m.Shapes {
		s.name = name
	}
	if m.Metadata["protocol"] != "json" || m.Metadata["jsonVersion"] != "1.1" {
		return nil, fmt.Errorf("model: protocol %v %v, want json 1.1", m.Metadata["protocol"], m.Metadata["jsonVersion"])
	}
	for name, op := range m.Operations {
		if op.Name != name || op.Input == nil {
			return nil, fmt.Errorf("operation %s: bad name or no input", name)
		}
	}
	for _, s := range m.Shapes {
		refs := []*shapeRef{s.Member, s.Key, s.Value}
		for _, mb := range s.Members {
			refs = append(refs, &shapeRef{mb.Shape})
		}
		for _, r := range refs {
			if r != nil && m.Shapes[r.Shape] == nil {
				return nil, fmt.Errorf("shape %s: unknown shape %s", s.name, r.Shape)
			}
		}
		for _, mb := range s.Members {
			if !s.Exception && !token.IsExported(mb.Name) || !token.IsIdentifier(mb.Name) {
				return nil, fmt.Errorf("shape %s: member %s is not an exported Go identifier", s.name, mb.Name)
			}
		}
		if !token.IsIdentifier(s.name) {
			return nil, fmt.Errorf("shape %s: name is not a Go identifier", s.name)
		}
		for _, r := range s.Required {
			if s.member(r) == nil {
				return nil, fmt.Errorf("shape %s: required member %s does not exist", s.name, r)
			}
		}
	}
	return &m, nil
}

func (s *shape) member(name string) *member {
	for _, m := range s.Members {
		if m.Name == name {
			return m
		}
	}
	return nil
}

func (s *shape) required(name string) bool {
	for _, r := range s.Required {
		if r == name {
			return true
		}
	}
	return false
}

func (s *shape) isEnum() bool { return s.Type == "string" && len(s.Enum) > 0 }
