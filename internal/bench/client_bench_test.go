package bench

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkSignedRequest is the generator's own cost of one request
// before it reaches the network: building and signing it.
func BenchmarkSignedRequest(b *testing.B) {
	c, err := NewClient(ClientConfig{Endpoint: "http://127.0.0.1:4599", Region: "us-east-1", Credentials: testCreds})
	if err != nil {
		b.Fatal(err)
	}
	body := make([]byte, 1400) // an Encrypt of 1 KiB
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.request(context.Background(), targetPrefix+"Encrypt", body, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEmptyRoundTrip is one Encrypt-sized request to the empty
// server in the same process, over loopback: the floor of what a request
// costs both sides together.
func BenchmarkEmptyRoundTrip(b *testing.B) {
	srv := httptest.NewServer(EmptyHandler())
	defer srv.Close()
	c, err := NewClient(ClientConfig{Endpoint: srv.URL, Region: "us-east-1", Credentials: testCreds, Connections: 8})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	p := newPrepared("Encrypt", make([]byte, 1400))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if code, msg := c.send(context.Background(), p); code != "" {
				b.Fatal(code, msg)
			}
		}
	})
}
