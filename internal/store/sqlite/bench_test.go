package sqlite

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

func benchKey(i int) (*keyhold.Key, []keyhold.Tag, *keyhold.BackingKey) {
	id := fmt.Sprintf("%08x-0000-4000-8000-000000000000", i)
	arn := keyhold.KeyARN("eu-central-1", "111122223333", id)
	now := time.Now()
	k := &keyhold.Key{
		ARN: arn, ID: id, Account: "111122223333", Region: "eu-central-1",
		KeyUsage: keyhold.KeyUsageEncryptDecrypt, KeySpec: keyhold.KeySpecSymmetricDefault,
		Origin: keyhold.OriginAWSKMS, State: keyhold.KeyStateEnabled,
		Policy:            `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`,
		CreationDate:      now,
		CurrentMaterialID: fmt.Sprintf("%064x", i),
	}
	tags := []keyhold.Tag{{Key: "app", Value: "bench"}, {Key: "env", Value: "test"}}
	bk := &keyhold.BackingKey{
		KeyARN: arn, MaterialID: k.CurrentMaterialID, DomainKeyID: "dk-bench",
		EKT: make([]byte, 92), CreationDate: now,
	}
	return k, tags, bk
}

func benchStore(b *testing.B) *Store {
	s := openTemp(b)
	err := s.CreateDomainKey(context.Background(), &keyhold.DomainKey{
		ID: "dk-bench", Region: "eu-central-1", Wrapped: make([]byte, 60), CreationDate: time.Now(),
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkCreateKey measures one durable CreateKey (key, two tags and a
// backing key in one transaction, fsynced). It is bound by fsync latency.
func BenchmarkCreateKey(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	i := 0
	for b.Loop() {
		k, tags, bk := benchKey(i)
		if err := s.CreateKey(ctx, k, tags, bk); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkCreateKeyParallel is CreateKey from many goroutines, all
// funnelled through the one writer connection.
func BenchmarkCreateKeyParallel(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	var next atomicCounter
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k, tags, bk := benchKey(next.add())
			if err := s.CreateKey(ctx, k, tags, bk); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkGetKey measures GetKey by ARN among 10,000 keys.
func BenchmarkGetKey(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	const n = 10000
	arns := make([]string, n)
	for i := range n {
		k, tags, bk := benchKey(i)
		if err := s.CreateKey(ctx, k, tags, bk); err != nil {
			b.Fatal(err)
		}
		arns[i] = k.ARN
	}
	b.Run("serial", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := s.GetKey(ctx, arns[i%n]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		var next atomicCounter
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.GetKey(ctx, arns[next.add()%n]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

type atomicCounter struct{ n atomic.Int64 }

func (c *atomicCounter) add() int { return int(c.n.Add(1) - 1) }
